"""What the `gateway` command accepts on its command line, checked before anything runs.

Each function here is an argparse ``type=``: it turns the text a person typed into a value or
refuses it with an `argparse.ArgumentTypeError` that says what is allowed, so a bad argument
ends as one line and exit 2, never as a traceback deep in the store. The bounds are those of
what the value feeds: the store's 64-bit row numbers, X12's nine-digit control numbers, TCP
ports, the longest reference the store keeps. Text typed by a person or sent by a partner is
echoed escaped (`printable`), so a control character cannot rewrite the terminal.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import math
import re
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from gateway import text_safety

# How a command ends: 0 accepted, 1 something rejected, 2 not X12 (or a usage error, as
# argparse's), 130 interrupted, 70 a fault of the gateway's own.
EXIT_ACCEPTED, EXIT_REJECTED, EXIT_NOT_X12 = 0, 1, 2
EXIT_USAGE, EXIT_INTERRUPTED, EXIT_INTERNAL = 2, 130, 70
FILE_NUMBER_MAX = 2**63 - 1  # the store's row numbers are 64-bit integers
CONTROL_NUMBER_MAX = 999_999_999  # ISA13 and GS06 hold nine digits; 0 some partners refuse
MAX_ROWS = 100_000  # --limit: more is not a listing to read; narrow it with the filters
SETTLE_MAX = 3600.0  # --settle: an hour; a partner file still growing after that is stuck
MAX_REFERENCE = 80  # the longest reference or key the store keeps
LINE_NUMBER_MAX = 999_999  # X12 assigned numbers (LX01, line numbers) have six digits
PATH_MAX = 4096  # Linux's limit on a whole path
EARLIEST_DAY, LATEST_DAY = date(1970, 1, 1), date(9999, 12, 30)  # safe in every time zone
_PARTNER_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # as partners/<id>.yaml ids are written
_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_FILE_NUMBER = re.compile(r"#([0-9]+)")


def refused(message: str, code: int) -> int:
    """``message`` on standard error as one escaped line from the gateway; then ``code``."""
    print(f"gateway: {printable(message)}", file=sys.stderr)
    return code


def printable(text: str) -> str:
    """``text`` with every character a terminal would act on (control characters, line breaks,
    escape sequences, bidi overrides) written as its Python escape, the rest unchanged: the
    one helper every layer uses, `gateway.text_safety.printable`."""
    return text_safety.printable(text)


def print_json(value: object) -> None:
    """``value`` as indented JSON on standard output, nothing in it a terminal would act on
    (what every ``--json`` listing prints)."""
    print(text_safety.json_printable(json.dumps(value, ensure_ascii=False, indent=2)))


def whole_number(low: int, high: int) -> Callable[[str], int]:
    """A whole number from ``low`` to ``high``."""
    def parse(text: str) -> int:
        value = _int_or_none(text)
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a whole number from {low} to {high}")
        return value
    return parse


def seconds(low: float, high: float) -> Callable[[str], float]:
    """A number of seconds from ``low`` to ``high`` (never NaN or infinite)."""
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a number of seconds from {low:g} to {high:g}")
        return value
    return parse


def port(lowest: int) -> Callable[[str], int]:
    """A TCP port: ``lowest`` (0 asks the system for a free one) to 65535."""
    return whole_number(lowest, 65_535)


def row_limit(text: str) -> int:
    return whole_number(1, MAX_ROWS)(text)


def control_number(text: str) -> int:
    return whole_number(1, CONTROL_NUMBER_MAX)(text)


def file_number(text: str) -> int:
    """``#N``: a file the store recorded."""
    number = parse_file_number(text)
    if number is None:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a file number: write '#N' with N from 1 to {FILE_NUMBER_MAX}")
    return number


def parse_file_number(text: str) -> int | None:
    """N for a text ``#N`` with N in the store's range, else None."""
    found = _FILE_NUMBER.fullmatch(text.strip())
    number = _int_or_none(found.group(1)) if found else None
    return number if number is not None and 1 <= number <= FILE_NUMBER_MAX else None


def looks_like_file_number(text: str) -> bool:
    """True for ``#`` followed by what looks like a number (a sign, any script's digits, in
    range or not): what the store reads as a file number, so it must be one it can hold."""
    stripped = text.strip()
    return stripped.startswith("#") and stripped[1:].lstrip("+-").isdigit()


def line_numbers(text: str) -> list[int]:
    """``1,3``: the line numbers of a request, each from 1 to 999999."""
    parts = [part.strip() for part in text.split(",")]
    numbers = [_int_or_none(part) for part in parts]
    if not parts or any(n is None or not 1 <= n <= LINE_NUMBER_MAX for n in numbers):
        raise argparse.ArgumentTypeError(
            f"{text!r}: write line numbers like 1,3 (each from 1 to {LINE_NUMBER_MAX})")
    return [n for n in numbers if n is not None]


def partner_id(text: str) -> str:
    """A partner id as partner files spell it: the name of partners/<id>.yaml."""
    if not _PARTNER_ID.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a partner id: 1 to 64 lower-case letters, digits and dashes, "
            "as in partners/<id>.yaml")
    return text


def node_name(text: str) -> str:
    """What a node is called (`gateway run --node`): printable, at most 128 characters."""
    if not text.strip() or len(text) > 128 or not text.isprintable():
        raise argparse.ArgumentTypeError(f"{printable(text)!r} is not a node name: 1 to 128 "
                                         "printable characters")
    return text.strip()


def reference(text: str) -> str:
    """A reference the store may know (RMA, PO, shipment id, notice id...): printable text."""
    return short_text(MAX_REFERENCE)(text).strip()


def case_or_file(text: str) -> str:
    """REF of `gateway show`: a reference, or '#N' for file N (an N the store can hold)."""
    if looks_like_file_number(text):
        file_number(text)
    return reference(text)


def short_text(longest: int) -> Callable[[str], str]:
    """One line of printable text, 1 to ``longest`` characters."""
    def parse(text: str) -> str:
        if not text.strip() or len(text) > longest or not text.isprintable():
            raise argparse.ArgumentTypeError(
                f"{_clipped(text)!r} is not 1 to {longest} printable characters "
                "on one line")
        return text
    return parse


def path(text: str) -> Path:
    """A file or folder name: not empty, no longer than a path may be, and no control
    characters (no file is named so on purpose, and a name echoed in a message must not
    rewrite the terminal)."""
    if not text or len(text) > PATH_MAX or not text.isprintable():
        raise argparse.ArgumentTypeError(
            f"{_clipped(text)!r} is not a usable path: it is empty, longer than {PATH_MAX} "
            "characters or holds a control character")
    return Path(text)


def day(text: str) -> date:
    """YYYY-MM-DD, from 1970-01-01 to 9999-12-30 (so any time zone can convert it)."""
    try:
        value = date.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or not EARLIEST_DAY <= value <= LATEST_DAY:
        raise argparse.ArgumentTypeError(
            f"{_clipped(text)!r} is not a date YYYY-MM-DD from {EARLIEST_DAY} to {LATEST_DAY}")
    return value


def host(text: str) -> str:
    """An address to listen on: an IP address or a host name, never empty (which would mean
    every interface without saying so)."""
    try:
        ipaddress.ip_address(text)
        return text
    except ValueError:
        pass
    labels = text.removesuffix(".").split(".")
    if len(text) > 253 or not all(_HOST_LABEL.fullmatch(label) for label in labels) \
            or labels[-1].isdigit():
        raise argparse.ArgumentTypeError(
            f"{_clipped(text)!r} is not an IP address or a host name (write 0.0.0.0 for "
            "every interface)")
    return text


def _int_or_none(text: str) -> int | None:
    """The whole number ``text`` writes in ASCII digits (with a sign), else None; the length
    is capped before converting, so no input makes int() work long."""
    stripped = text.strip()
    if len(stripped) > 40 or not re.fullmatch(r"[+-]?[0-9]+", stripped):
        return None
    return int(stripped)


def _clipped(text: str, longest: int = 60) -> str:
    """A long argument is shown by its start: enough to recognise it."""
    return text if len(text) <= longest else text[:longest] + "..."
