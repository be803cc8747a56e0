"""Prometheus metrics of the gateway (issue 7)."""
