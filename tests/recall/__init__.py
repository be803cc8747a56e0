"""Tests of the recall-notice XML intake (gateway.recall)."""
