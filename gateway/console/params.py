"""What a page's address may carry: values a URL hands to the views, checked before they reach
the store or a template, so a hostile address gets an empty search or a 404, never a 500."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from flask import request

_Row = TypeVar("_Row")

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


def row_number_arg(name: str) -> int | None:
    """A row number a page link carries (``before=``, ``after=``); None when absent or not a
    whole number the store could hold."""
    text = request.args.get(name, "")
    return int(text) if text.isascii() and text.isdigit() and 0 < len(text) <= 18 else None


def sorted_page(rows: list[_Row], keys: Mapping[str, Callable[[_Row], Any]]) -> list[_Row]:
    """The page in the order ``?sort=`` asks for: one of ``keys``, "-" first for descending;
    as given otherwise. (A page, not the whole list: pages follow the store's order, so no row
    is skipped or shown twice.)"""
    sort = request.args.get("sort", "")
    key = keys.get(sort.lstrip("-"))
    return sorted(rows, key=key, reverse=sort.startswith("-")) if key else rows
