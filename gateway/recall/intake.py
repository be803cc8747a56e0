"""The one entry point of the recall intake: `read_recall`, bytes in, a `RecallResult` out.

Order matters: size and DOCTYPE guards, hardened parse, then the dialect (our schema or CPSC)
chosen by the root element, then that dialect's checks and mapping. ``read_recall`` never
raises: whatever the bytes, the caller gets a result it can acknowledge.
"""

from __future__ import annotations

from lxml import etree

from gateway.recall import cpsc, native
from gateway.recall.parse import element_path, line_of, local_name, namespace_of, read_document
from gateway.recall.result import ERROR_LIMIT, RecallError, RecallResult, Severity, error
from gateway.recall.xsd import NOTICE_SCHEMA, schema_errors

# The default of limits.xml_size in config.yaml (10 MB, counted in MiB as every size
# there is); the pipeline and the commands pass the configured one.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def read_recall(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> RecallResult:
    """Read one recall notice in our dialect (recall-notice 1.0) or as a CPSC record."""
    try:
        return _capped(_read(bytes(data), max_bytes))
    except Exception:  # the promise is "never raises"; the message carries no traceback
        return RecallResult(None, None, (error(
            "internal.error", "The gateway could not read this file because of an internal "
                              "fault; it has been rejected. Please report it."),))


def _read(data: bytes, max_bytes: int) -> RecallResult:
    document = read_document(data, max_bytes=max_bytes)
    if document.root is None:
        return RecallResult(None, None, document.errors)
    root = document.root
    if namespace_of(root) == native.NAMESPACE and local_name(root) == "RecallNotice":
        return _read_native(root)
    if cpsc.is_cpsc(root):
        notice, problems = cpsc.read_cpsc(root)
        return RecallResult(notice, cpsc.DIALECT, problems, cpsc.declared_notice_id(root))
    return RecallResult(None, None, (_unknown_dialect(root),))


def _read_native(root: etree._Element) -> RecallResult:
    # Every error is reported at once: schema errors and the checks the schema cannot make.
    problems = schema_errors(root, NOTICE_SCHEMA) + native.notice_errors(root)
    notice = None if problems else native.to_notice(root)
    return RecallResult(notice, native.DIALECT, problems, native.declared_notice_id(root))


def _unknown_dialect(root: etree._Element) -> RecallError:
    namespace = namespace_of(root)
    found = f"<{local_name(root)}>" + (f" in namespace '{namespace}'" if namespace else "")
    return error("recall.unknown-dialect",
                 f"The root element is {found}. Expected <RecallNotice> in namespace "
                 f"'{native.NAMESPACE}' (recall-notice 1.0) or a CPSC <Recalls> / <Recall> "
                 "record without a namespace.", line=line_of(root), path=element_path(root))


def _capped(result: RecallResult) -> RecallResult:
    if len(result.errors) <= ERROR_LIMIT:
        return result
    # The note is an error only if it hides one: a CPSC record with many warnings stays accepted.
    hidden = result.errors[ERROR_LIMIT:]
    severity = (Severity.ERROR if any(e.severity is Severity.ERROR for e in hidden)
                else Severity.WARNING)
    note = error("report.truncated", f"More errors were found than the {ERROR_LIMIT} listed; "
                 "correct these and send the file again to see the rest.", severity=severity)
    return RecallResult(result.notice, result.dialect, (*result.errors[:ERROR_LIMIT], note),
                        result.declared_id)
