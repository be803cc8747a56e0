"""Use cases and the ports they need: ingest, translate, poll, cases, outbound, watchers."""
