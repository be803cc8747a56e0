"""Typing a mapping's plain result (dicts, lists, strings) into the canonical model.

The model's own type hints drive it, so a mapping only names model fields and never says how
to parse a date or a quantity. X12 values arrive as text: ``20260114`` or ``260114`` become
dates, ``12.50`` a Decimal, ``Y`` a bool, a table's canonical code an enum member. A value that
does not fit is a located issue and the field stays empty; nothing raises.
"""

from __future__ import annotations

import dataclasses
import types
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints

from gateway.mapping.engine import Context


class _Misfit(ValueError):
    pass


def build(cls: type[Any], raw: dict[str, Any], ctx: Context, rule: str = "fields") -> Any:
    """An instance of dataclass ``cls`` from ``raw``, or None when a required field is missing."""
    try:
        return _dataclass(cls, raw, ctx, rule)
    except _Misfit as exc:
        ctx.issue(str(exc), rule)
        return None


def _dataclass(cls: Any, raw: Any, ctx: Context, rule: str) -> Any:
    if isinstance(raw, cls):
        return raw
    if not isinstance(raw, dict):
        raise _Misfit(f"expected a group of fields for {cls.__name__}, found {raw!r}")
    hints = _hints(cls)
    unknown = set(raw) - set(hints)
    if unknown:
        raise _Misfit(f"{sorted(unknown)[0]!r} is not a field of {cls.__name__} "
                      f"(fields: {', '.join(hints)})")
    values = {}
    for name, hint in hints.items():
        if name in raw:
            values[name] = _value(hint, raw[name], ctx, f"{rule}.{name}")
    missing = [f.name for f in dataclasses.fields(cls)
               if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
               and values.get(f.name) is None]
    if missing:
        raise _Misfit(f"{cls.__name__} needs {', '.join(missing)}, which the mapping did "
                      "not find")
    return cls(**values)


@cache
def _hints(cls: Any) -> dict[str, Any]:
    """The fields a mapping may set: all but a document's fixed ``kind``."""
    fixed = {f.name for f in dataclasses.fields(cls)
             if f.name == "kind" and isinstance(f.default, str)}
    return {name: hint for name, hint in get_type_hints(cls).items() if name not in fixed}


def _value(hint: Any, raw: Any, ctx: Context, rule: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return _value(options[0], raw, ctx, rule) if len(options) == 1 else raw
    if origin is tuple:
        items = raw if isinstance(raw, list | tuple) else [raw]
        converted = (_value(get_args(hint)[0], item, ctx, f"{rule}[{n}]")
                     for n, item in enumerate(items, start=1))
        return tuple(item for item in converted if item not in (None, ""))
    if dataclasses.is_dataclass(hint):
        try:
            return _dataclass(hint, raw, ctx, rule)
        except _Misfit as exc:
            ctx.issue(str(exc), rule)
            return None
    return _scalar(hint, raw, ctx, rule)


def _scalar(hint: Any, raw: Any, ctx: Context, rule: str) -> Any:
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if raw is None:
        return None
    try:
        return _convert(hint, raw)
    except (ValueError, InvalidOperation) as exc:
        ctx.issue(f"{raw!r} is not {_describe(hint)} ({exc})" if str(exc) else
                  f"{raw!r} is not {_describe(hint)}", rule)
        return None


def _convert(hint: Any, raw: Any) -> Any:
    if hint is str:
        return str(raw).strip()
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint(raw)
    text = str(raw).strip()
    converters: dict[Any, Callable[[str], Any]] = {
        int: int, Decimal: Decimal, bool: _boolean, date: x12_date, datetime: _aware_datetime}
    if hint in converters:
        return converters[hint](text)
    return raw


def x12_date(text: str) -> date:
    """CCYYMMDD, YYMMDD (this century) or ISO YYYY-MM-DD."""
    if len(text) == 8 and text.isascii() and text.isdigit():
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if len(text) == 6 and text.isascii() and text.isdigit():
        return date(2000 + int(text[:2]), int(text[2:4]), int(text[4:]))
    return date.fromisoformat(text)


def _aware_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a moment needs a time zone")
    return moment


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered in ("y", "yes", "true", "1"):
        return True
    if lowered in ("n", "no", "false", "0"):
        return False
    raise ValueError("expected Y or N")


def _describe(hint: Any) -> str:
    if isinstance(hint, type) and issubclass(hint, Enum):
        return f"one of {', '.join(m.value for m in hint)}"
    return {int: "a whole number", Decimal: "a number", date: "a date (CCYYMMDD)",
            datetime: "a moment with a time zone", bool: "Y or N"}.get(hint, str(hint))
