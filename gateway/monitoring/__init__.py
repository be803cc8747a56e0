"""Adapters that tell operators what happens: log lines, Prometheus metrics, alert delivery."""
