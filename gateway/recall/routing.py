"""Which reader an inbound XML file is for, decided by its root element alone.

``xml_document_kind(data)`` answers:

- ``"recall-notice"``: a root of a dialect ``read_recall`` reads: any root in our recall-notice
  namespace (``urn:returns-gateway:recall:1``; ``read_recall`` names the root it expects) or a
  CPSC ``<Recalls>`` / ``<Recall>`` without namespace;
- ``"recall-response"``: a root in the recall-response namespace
  (``urn:returns-gateway:recall-response:1``), for ``read_recall_response``, which names the one
  root it expects if this one is another;
- ``"unknown"``: anything else, *including every file the hardened guards refuse* (too large,
  empty, a DOCTYPE, not well-formed, XInclude). The kind is only as trustworthy as the parse, so
  nothing is guessed from a file we would not read.

Callers route ``"recall-response"`` to ``read_recall_response`` and everything else to
``read_recall``, exactly as before responses existed: ``read_recall`` answers an unknown or
refused file with its located rejection (``recall.unknown-dialect``, ``xml.doctype-forbidden``,
...) and its acknowledgement, so no existing input changes its answer.

The file is parsed with the same guards and hardened parser as the readers use (no entity is
expanded, no DTD loaded, nothing fetched); the reader then parses it again, which costs
milliseconds for files that are at most ``max_bytes`` long.
"""

from __future__ import annotations

from typing import Literal

from gateway.recall import cpsc, native
from gateway.recall.intake import DEFAULT_MAX_BYTES
from gateway.recall.parse import namespace_of, read_document
from gateway.recall.response import is_response_root

DocumentKind = Literal["recall-notice", "recall-response", "unknown"]


def xml_document_kind(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> DocumentKind:
    """The kind of ``data`` by its root element; "unknown" when it is not safely readable."""
    try:
        root = read_document(bytes(data), max_bytes=max_bytes).root
    except Exception:  # a router that raises would stop the whole intake; unknown is safe
        return "unknown"
    if root is None:
        return "unknown"
    if namespace_of(root) == native.NAMESPACE or cpsc.is_cpsc(root):
        return "recall-notice"
    if is_response_root(root):
        return "recall-response"
    return "unknown"
