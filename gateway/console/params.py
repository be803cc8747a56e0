"""What a page's address may carry: values a URL hands to the views, checked before they reach
the store or a template, so a hostile address gets an empty search or a 404, never a 500."""

from __future__ import annotations

from flask import request

FILE_NUMBER_MAX = 2**63 - 1  # the store's row numbers are 64-bit integers
FILE_ROUTE = f"<int(max={FILE_NUMBER_MAX}):file_id>"  # a larger number is no page: 404


def text_arg(name: str, longest: int) -> str | None:
    """The query argument ``name``, trimmed, when it is printable text of at most ``longest``
    characters; None when absent, empty or not (a control character is never a reference,
    partner id or state, and PostgreSQL refuses NUL in a query)."""
    value = request.args.get(name, "").strip()
    if not value or len(value) > longest or not value.isprintable():
        return None
    return value
