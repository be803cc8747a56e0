"""Recall-notice XML intake."""
