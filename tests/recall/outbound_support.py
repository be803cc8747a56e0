"""Shared checks for the documents the gateway writes: validity against the shipped XSD,
judged by lxml directly from the file (not through the gateway's own schema loader)."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from gateway.recall.parse import log_entries

SCHEMAS = Path(__file__).resolve().parents[2] / "gateway" / "recall" / "schema"


def schema_problems(data: bytes, schema_name: str) -> list[str]:
    """libxml2's messages for ``data`` against ``schema_name``; empty when it is valid."""
    validator = etree.XMLSchema(etree.parse(str(SCHEMAS / schema_name)))
    document = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    if validator.validate(document):
        return []
    return [f"line {entry.line}: {entry.message}" for entry in log_entries(validator.error_log)]


def assert_outbound_shape(data: bytes, schema_name: str) -> None:
    """UTF-8 with an XML declaration, pretty-printed, and valid against ``schema_name``."""
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n")
    assert b"\n  <" in data  # one element per line, indented
    data.decode("utf-8")
    assert schema_problems(data, schema_name) == []
