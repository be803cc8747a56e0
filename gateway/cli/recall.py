"""Recall-notice XML in the commands: how `validate`, `ack` and `process` answer an XML file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gateway.recall import RecallError, RecallResult, Severity, build_recall_ack, read_recall
from gateway.text_safety import printable, printable_lines


def describe_recall_error(problem: RecallError) -> str:
    """One printable line: the message and path may quote the coordinator's XML."""
    where = ", ".join(part for part in (f"line {problem.line}" if problem.line else "",
                                        problem.path or "") if part)
    return printable(f"{problem.severity.value}: {where + ': ' if where else ''}"
                     f"{problem.message} [{problem.code}]")


def verdict(result: RecallResult) -> str:
    return "accepted" if result.accepted else "rejected"


def render_text(name: str, result: RecallResult) -> str:
    kind = f"recall notice ({result.dialect})" if result.dialect else "XML"
    notice = _notice_id(result)
    lines = [f"{name}: {verdict(result)}: {kind}" + (f" {notice}" if notice else "")]
    lines += [f"  {describe_recall_error(problem)}" for problem in result.errors]
    return printable_lines(lines)  # the notice id is the coordinator's


def to_json(name: str, result: RecallResult) -> dict[str, Any]:
    return {
        "file": name,
        "kind": "recall-xml",
        "dialect": result.dialect,
        "notice_id": _notice_id(result),
        "verdict": verdict(result),
        "exit_code": 0 if result.accepted else 1,
        "errors": [{"code": p.code, "severity": p.severity.value, "message": p.message,
                    "line": p.line, "path": p.path} for p in result.errors],
    }


def _notice_id(result: RecallResult) -> str | None:
    if result.notice is not None:
        return result.notice.notice_id
    return result.declared_id[0] if result.declared_id else None


def acknowledgement(data: bytes, control: int, now: datetime, *,
                    max_bytes: int) -> tuple[RecallResult, bytes]:
    """The XML acknowledgement (accepted or rejected, with every error) for one upload."""
    result = read_recall(data, max_bytes=max_bytes)
    return result, build_recall_ack(result, received_at=now, ack_id=f"RGW-{control:09d}")


def has_errors(result: RecallResult) -> bool:
    return any(p.severity is Severity.ERROR for p in result.errors)
