"""What an intake answers: a notice (or none), the dialect it was read as, and every problem.

Problems in the sender's file are data (`RecallError`), never exceptions. ``code`` is a stable id
(``xml.not-well-formed``, ``schema.invalid``, ``gtin.check-digit``...) that tests, acks and
operators rely on; ``message`` is plain language for people.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from gateway.model import RecallNotice

# Messages often quote the sender's text back (libxml2 does); a 9 MB attribute must not become a
# 9 MB message, and a message must stay printable in an XML acknowledgement.
MESSAGE_LIMIT = 500
# Enough for any honest file; a hostile one must not turn its answer into the attack.
ERROR_LIMIT = 1000


class Severity(StrEnum):
    ERROR = "error"  # the notice is rejected
    WARNING = "warning"  # reported, the notice is still accepted


@dataclass(frozen=True, slots=True)
class RecallError:
    code: str
    message: str
    line: int | None = None
    path: str | None = None  # e.g. /RecallNotice/AffectedProduct[2]/Identifier[1]
    severity: Severity = Severity.ERROR


@dataclass(frozen=True, slots=True)
class RecallResult:
    notice: RecallNotice | None
    dialect: str | None
    errors: tuple[RecallError, ...] = ()
    # The notice id the file states, known even when the notice is rejected, so that an ack
    # can name the notice it answers: (id, scheme).
    declared_id: tuple[str, str | None] | None = None

    @property
    def accepted(self) -> bool:
        """A notice was read and nothing in the file is an error (warnings do not reject)."""
        return self.notice is not None and not any(
            error.severity is Severity.ERROR for error in self.errors)


def plain_text(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, with characters XML 1.0 cannot carry replaced."""
    cleaned = "".join(char if _xml_allowed(char) else "\ufffd" for char in text[:limit])
    return cleaned + "…" if len(text) > limit else cleaned


def _xml_allowed(char: str) -> bool:
    code = ord(char)
    return (code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD
            or 0x10000 <= code <= 0x10FFFF)


def error(code: str, message: str, *, line: int | None = None, path: str | None = None,
          severity: Severity = Severity.ERROR) -> RecallError:
    """A `RecallError` whose message is safe to show and to write into an ack."""
    return RecallError(code, plain_text(message), line,
                       None if path is None else plain_text(path), severity)
