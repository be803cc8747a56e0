"""Our XML Schemas: loaded only from the ``schema`` folder beside this module, compiled once.

The schema documents are parsed with the same hardened parser as untrusted input and import or
include nothing, so compiling them can fetch nothing. Validation reports every error libxml2
finds, each with its line and the path of the element it is about.
"""

from __future__ import annotations

import re
import threading
from importlib.resources import files
from typing import Any, cast

from lxml import etree

from gateway.recall.parse import element_path, hardened_parser, log_entries
from gateway.recall.result import ERROR_LIMIT, RecallError, error

NOTICE_SCHEMA = "recall-notice-1.0.xsd"
ACK_SCHEMA = "recall-ack-1.0.xsd"

# libxml2 names elements as '{urn:...}Name'; senders know them as 'Name'. Only a namespace URI
# is dropped: "{'CLASS_I', 'CLASS_II'}" in an enumeration message is the useful part.
_CLARK_NAME = re.compile(r"\{(?:urn|https?):[^{}\s']*\}")
# libxml2 paths look like /*/*[3]/*[1]; anything else is not evaluated.
_NODE_PATH = re.compile(r"(/\*(\[\d+\])?)+")


# Compiled once per thread: a schema must not validate in two threads at once (runtime.md §6).
_compiled = threading.local()


def schema(name: str) -> etree.XMLSchema:
    """The compiled schema ``name`` from our own folder."""
    cache: dict[str, etree.XMLSchema] = _compiled.__dict__.setdefault("schemas", {})
    if name not in cache:
        source = files("gateway.recall").joinpath("schema").joinpath(name).read_bytes()
        cache[name] = etree.XMLSchema(etree.fromstring(source, hardened_parser()))
    return cache[name]


def schema_errors(root: etree._Element, name: str) -> tuple[RecallError, ...]:
    """Every error of ``root`` against the schema ``name``; empty when it is valid."""
    validator = schema(name)
    if validator.validate(root):
        return ()
    # One more than a report shows, so that the reader notes the rest: a hostile file can
    # make hundreds of thousands of entries, and each error here walks the tree for its path.
    entries = log_entries(validator.error_log)[:ERROR_LIMIT + 1]
    _forget_errors(validator)
    return tuple(_schema_error(root, entry.message, entry.line, entry.path)
                 for entry in entries)


def _forget_errors(validator: etree.XMLSchema) -> None:
    """Drop the validator's own log (it keeps every entry, about 780 bytes each, until this
    thread validates again): a flood from one file must not stay resident after it."""
    cast("Any", validator)._clear_error_log()  # lxml API, absent from lxml-stubs


def _schema_error(root: etree._Element, message: str, line: int,
                  node_path: str | None) -> RecallError:
    text = _CLARK_NAME.sub("", message).strip()
    return error("schema.invalid", f"Line {line}: {text}", line=line or None,
                 path=_readable_path(root, node_path))


def _readable_path(root: etree._Element, node_path: str | None) -> str | None:
    if not node_path or not _NODE_PATH.fullmatch(node_path):
        return node_path
    found = root.getroottree().xpath(node_path)
    if isinstance(found, list) and found and isinstance(found[0], etree._Element):
        return element_path(found[0])
    return node_path
