"""Partner text made safe to print: on a terminal, in a text log, in a JSON log line.

Partners choose file names, element values, notice titles and ids. Printed as they are, an
ESC or CSI starts a terminal escape sequence (clear the screen, set the title, hide what
follows), a bidi override makes ``exe.pdf`` read as ``fdp.exe``, and a newline forges a line
of its own in a log. `printable` writes every such character as the escape a person can read
(``\\x1b``, ``\\u202e``, ``\\n``) and leaves the rest of the text alone:

- C0 controls, DEL and C1 controls (U+0000-001F, U+007F-009F, so NEL U+0085 and CSI U+009B);
- bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069), the marks U+200E,
  U+200F and U+061C;
- the line and paragraph separators U+2028 and U+2029;
- whatever else Python does not call printable: invisible format characters (zero-width
  space, soft hyphen), spaces other than U+0020, unassigned and private-use code points, and
  lone surrogates (an undecodable byte of a file name), which no terminal should be sent.

A backslash is left as it is, so an escaped form can also be typed by a partner: the point is
that nothing reaches the terminal that it would act on, not that the text can be restored.
Standard library only, no I/O: every layer may use it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

# The characters named above, whatever Unicode version Python's isprintable() follows.
_ALWAYS = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                     "\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def must_escape(char: str) -> bool:
    """True for a character `printable` writes as an escape."""
    return not char.isprintable() or _ALWAYS.match(char) is not None


def printable(text: str) -> str:
    """``text`` as one line a terminal only displays: every character it could act on
    written as its Python escape (``\\x1b``, ``\\u202e``, ``\\n``), the rest unchanged."""
    if text.isprintable() and _ALWAYS.search(text) is None:
        return text  # the everyday case, checked in C
    return "".join(_escaped(c) if must_escape(c) else c for c in text)


def printable_lines(lines: Iterable[str]) -> str:
    """Lines of our own making joined by newlines, each made `printable`: a newline a partner
    value holds is escaped, so it cannot start a line that looks like one of ours."""
    return "\n".join(printable(line) for line in lines)


def json_printable(dumped: str) -> str:
    """JSON text (from ``json.dumps(..., ensure_ascii=False)``) with every character
    `printable` would escape written as a JSON ``\\uXXXX`` escape instead: the same JSON
    value, nothing a terminal would act on. json.dumps escapes only C0 controls; DEL, C1,
    bidi controls and U+2028/2029 would otherwise reach a terminal that tails the log.
    Newlines are kept: json.dumps leaves none inside a string, so any is ``indent=``'s."""
    if dumped.isprintable() and _ALWAYS.search(dumped) is None:
        return dumped
    return "".join(_json_escaped(c) if c != "\n" and must_escape(c) else c for c in dumped)


def _escaped(char: str) -> str:
    """Python's own spelling: \\n, \\x1b, \\u202e, \\U000e0001."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _json_escaped(char: str) -> str:
    """JSON's spelling: \\u001b, \\u202e, and a surrogate pair beyond the BMP."""
    code = ord(char)
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    high, low = divmod(code - 0x10000, 0x400)
    return f"\\u{0xD800 + high:04x}\\u{0xDC00 + low:04x}"
