"""How the gateway writes its log (and long commands their progress) on standard error.

- ``text``: one readable line per event, as before;
- ``json``: one JSON object per line with ``time``, ``level``, ``logger``, ``message`` and the
  fields the call gave (``partner``, ``file_id``, ``file``, ``isa13``, ``gs06``, ``st02``,
  ``outbox_kind``, ``outbox_control``, ``alert_id``...), for log shippers.

Partner text (file names, element values, reasons that quote them) is never written raw:
the text format escapes the whole message (`gateway.text_safety.printable`: ``\\x1b``,
``\\u202e``, ``\\n``), so a record is one line and a traceback follows it on indented
lines; the JSON format writes the same characters as ``\\uXXXX`` escapes. Either way no escape
sequence reaches a terminal and no newline in a file name forges a log line.

Whatever the format, `RedactingFilter` runs last on every record: private key blocks, passwords
in URLs, Authorization headers, ``password=...`` pairs and the values of the environment
variables the configuration and partner files name as secrets are replaced by ``***``. Code
never logs a secret on purpose; this is the line of defence for an exception text or a file
name that carries one by accident. Standard library only: every layer may use it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
import time
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime
from typing import Any, TextIO

from gateway.text_safety import json_printable, printable, printable_lines

REDACTED = "***"
_PATTERNS = (
    # a whole PEM block, or from its header to the end when the block was cut off
    (re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(-----END [A-Z0-9 ]*PRIVATE KEY-----"
                r"|\Z)", re.DOTALL), REDACTED),
    (re.compile(r"(?i)\b(authorization|proxy-authorization)(['\"]?\s*[:=]\s*['\"]?)"
                r"(?:(?:bearer|basic|digest|token)\s+)?[^\s'\",}]+"), r"\1\2" + REDACTED),
    (re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), r"\1" + REDACTED + "@"),
    (re.compile(r"(?i)\b(password|passwd|passphrase|secret|api[_-]?key|token)"
                r"(['\"]?\s*[=:]\s*['\"]?)[^\s'\",}&]+"), r"\1\2" + REDACTED),
)
_SHORTEST_SECRET = 6  # shorter values (a "1", a "yes") would blank out ordinary words
# What every LogRecord has; anything else on a record came from extra= and is a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "taskName"}


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with every secret value (of a useful length) and secret-looking part masked."""
    for value in sorted(secrets, key=len, reverse=True):  # longest first: no partial leftovers
        if len(value) >= _SHORTEST_SECRET:
            text = text.replace(value, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites each record's message, fields and exception text with `redact`. Put it on the
    handler, so records from every logger pass through it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: frozenset[str] = frozenset()
        self._lock = threading.Lock()
        self.remember(secrets)

    def remember(self, secrets: Iterable[str]) -> None:
        """Add secret values (the daemon adds those of partner files as they are read)."""
        fresh = {s for s in secrets if s and len(s) >= _SHORTEST_SECRET}
        with self._lock:
            self._secrets = self._secrets | fresh

    def filter(self, record: logging.LogRecord) -> bool:
        secrets = self._secrets
        record.msg, record.args = redact(record.getMessage(), secrets), None
        for name, value in list(vars(record).items()):
            if name not in _STANDARD and isinstance(value, str):
                setattr(record, name, redact(value, secrets))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, secrets)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json_printable(json.dumps(entry, default=str, ensure_ascii=False))


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CONTINUATION = "    "  # a traceback's lines: never at the start of a line, as a record is


class TextFormatter(logging.Formatter):
    """One line per record: the message, arguments included, made `printable` after they are
    put together (a format string cannot forget one), so partner text can neither drive the
    terminal nor start a line of its own. A traceback or stack follows on lines indented by
    `CONTINUATION`, each escaped the same way: a line break in an exception's text cannot
    begin a line that reads as a record."""

    def format(self, record: logging.LogRecord) -> str:
        one_line = logging.makeLogRecord(vars(record))
        one_line.msg, one_line.args = printable(record.getMessage()), None
        one_line.exc_info = one_line.exc_text = one_line.stack_info = None
        text = super().format(one_line)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        for block in (record.exc_text, record.stack_info):
            if block:
                text += "\n" + printable_lines(CONTINUATION + line
                                               for line in block.split("\n"))
        return text


def configure(log_format: str = "text", *, secrets: Iterable[str] = (),
              stream: TextIO | None = None, level: int = logging.INFO) -> RedactingFilter:
    """Route the root logger to ``stream`` (stderr) in ``log_format``; the redacting filter
    returned can learn more secrets later."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json"
                         else TextFormatter(TEXT_FORMAT))
    redactor = RedactingFilter(secrets)
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    return redactor


class _StderrFallback(logging.StreamHandler):  # type: ignore[type-arg]
    """What `logging.lastResort` does (warnings of a command that configured no logging go to
    whatever sys.stderr is now), with `TextFormatter` so they are escaped too."""

    def __init__(self) -> None:
        logging.Handler.__init__(self, logging.WARNING)
        self.setFormatter(TextFormatter("%(message)s"))

    @property
    def stream(self) -> TextIO:
        return sys.stderr


def escape_unconfigured_logs() -> None:
    """Commands other than `gateway run` configure no logging: Python then writes a warning's
    bare message to stderr (`logging.lastResort`). Make that fallback escape partner text as
    the configured text format does. Idempotent; touches no handler a caller installed."""
    if not isinstance(logging.lastResort, _StderrFallback):
        logging.lastResort = _StderrFallback()


def env_values(names: Iterable[str | None]) -> set[str]:
    """The values of the named environment variables that are set (secrets to redact)."""
    return {value for name in names if name and (value := os.environ.get(name))}


class Progress:
    """Lines on stderr for long work ("replaying 3/17: #12 856.x12"), never on stdout, so
    ``--json`` output stays parseable. No bars, no carriage returns: log-friendly."""

    def __init__(self, verb: str, total: int, stream: TextIO | None = None) -> None:
        self.verb, self.total, self.done = verb, total, 0
        self.stream = stream or sys.stderr

    def step(self, what: str) -> None:
        self.done += 1
        print(printable(f"{self.verb} {self.done}/{self.total}: {what}"), file=self.stream,
              flush=True)


class Timed:
    """A start line and a duration line around the work on one big file."""

    def __init__(self, verb: str, name: str, size: int, stream: TextIO | None = None) -> None:
        self.verb, self.name, self.size = verb, printable(name), size
        self.stream = stream or sys.stderr
        self.started = 0.0

    def __enter__(self) -> Timed:
        self.started = time.monotonic()
        print(f"{self.verb} {self.name} ({self.size / 1_000_000:.1f} MB)...", file=self.stream,
              flush=True)
        return self

    def __exit__(self, *exc: object) -> None:
        print(f"{self.verb} {self.name}: done in {time.monotonic() - self.started:.1f} s",
              file=self.stream, flush=True)


BIG_FILE_BYTES = 1_000_000  # from this size a file takes seconds: say when it starts and ends


def timed_if_big(verb: str, name: str, size: int) -> AbstractContextManager[object]:
    """`Timed` for a file big enough to make a person wait; nothing for the others."""
    return Timed(verb, name, size) if size >= BIG_FILE_BYTES else nullcontext()
