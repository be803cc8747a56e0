"""Recall-notice XML intake: the only package of the gateway that imports lxml.

Pure: bytes in, values out. No file or socket I/O, except reading the XSDs shipped beside it.

    read_recall(data, *, max_bytes=10 MiB) -> RecallResult          (never raises)
    build_recall_ack(result, *, received_at, ack_id) -> bytes       (recall-ack-1.0.xsd)
    xml_document_kind(data, *, max_bytes=10 MiB) -> "recall-notice" | "recall-response" | "unknown"
    read_recall_response(data, *, max_bytes=10 MiB) -> RecallResponseResult  (never raises)
    build_recall_response(response) -> bytes                        (recall-response-1.0.xsd)
    build_recall_notification(notification) -> bytes                (recall-notification-1.0.xsd)
    build_status_document(update) -> bytes                          (return-status-1.0.xsd)
    build_native_notice(notice) -> bytes                            (recall-notice-1.0.xsd)

Dialects: our own recall-notice 1.0 (``urn:returns-gateway:recall:1``, ``schema/``) and CPSC
Recalls Retrieval records. Error codes are stable ids: ``xml.*`` (the file is not acceptable
XML), ``schema.invalid``, ``gtin.*`` / ``gln.*`` (GS1 check digits), ``range.reversed``,
``cpsc.*``, ``recall.unknown-dialect`` and, for responses, ``response.*``.
"""

from gateway.recall.ack import ack_errors, build_recall_ack
from gateway.recall.intake import read_recall
from gateway.recall.native_writer import build_native_notice
from gateway.recall.notification import AffectedItem, RecallNotification, build_recall_notification
from gateway.recall.response import (
    LocationCount,
    RecallResponse,
    RecallResponseResult,
    ResponseStatus,
    build_recall_response,
    read_recall_response,
)
from gateway.recall.result import RecallError, RecallResult, Severity
from gateway.recall.routing import xml_document_kind
from gateway.recall.status import (
    LineItemId,
    RecallHoldRef,
    StatusLine,
    StatusUpdate,
    build_status_document,
)

__all__ = ["AffectedItem", "LineItemId", "LocationCount", "RecallError", "RecallHoldRef",
           "RecallNotification", "RecallResponse", "RecallResponseResult", "RecallResult",
           "ResponseStatus", "Severity", "StatusLine", "StatusUpdate",
           "ack_errors", "build_native_notice", "build_recall_ack", "build_recall_notification",
           "build_recall_response", "build_status_document", "read_recall",
           "read_recall_response", "xml_document_kind"]
