"""Recall-notice XML intake: the only package of the gateway that imports lxml.

Pure: bytes in, values out. No file or socket I/O, except reading the XSDs shipped beside it.

    read_recall(data, *, max_bytes=10_000_000) -> RecallResult      (never raises)
    build_recall_ack(result, *, received_at, ack_id) -> bytes       (recall-ack-1.0.xsd)

Dialects: our own recall-notice 1.0 (``urn:returns-gateway:recall:1``, ``schema/``) and CPSC
Recalls Retrieval records. Error codes are stable ids: ``xml.*`` (the file is not acceptable
XML), ``schema.invalid``, ``gtin.*`` / ``gln.*`` (GS1 check digits), ``range.reversed``,
``cpsc.*`` and ``recall.unknown-dialect``.
"""

from gateway.recall.ack import ack_errors, build_recall_ack
from gateway.recall.intake import read_recall
from gateway.recall.result import RecallError, RecallResult, Severity

__all__ = ["RecallError", "RecallResult", "Severity", "ack_errors", "build_recall_ack",
           "read_recall"]
