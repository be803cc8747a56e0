"""Typing a mapping's plain result (dicts, lists, strings) into the canonical model.

The model's own type hints drive it, so a mapping only names model fields and never says how
to parse a date or a quantity. X12 values arrive as text: ``20260114`` or ``260114`` become
dates, ``12.50`` a Decimal, ``Y`` a bool, a table's canonical code an enum member. A value that
does not fit is a located issue and the field stays empty; nothing raises.

A number is only a number the rest of the gateway can compute with: ``NaN``, ``sNaN`` and
``Infinity`` (which ``Decimal`` reads happily) are refused, and so is a magnitude no quantity or
amount can have (see `MAX_ADJUSTED_EXPONENT`): each would otherwise crash a comparison or a sum
far from here (a returns policy, a recall's unit count) long after the file was acknowledged.
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

from gateway.mapping.engine import (
    REQUIRED_MISSING,
    RULE_INVALID,
    VALUE_UNUSABLE,
    Context,
)

# The largest |adjusted exponent| (the power of ten of a number's first significant digit).
# X12 R and N elements hold at most 18 characters in every version we read (782, monetary
# amount, is R 1/18 in 004010 and 005010; 380, quantity, is R 1/15), so no quantity or amount
# has a digit beyond 10^18 or below 10^-18. `1E+999999999` or `1E-999999999` can only be a
# mistake or an attack, and would overflow or silently round away in later arithmetic
# (quantity x price, a recall's sum of units).
MAX_ADJUSTED_EXPONENT = 18


class _Misfit(ValueError):
    def __init__(self, message: str, code: str = RULE_INVALID) -> None:
        super().__init__(message)
        self.code = code


def build(cls: type[Any], raw: dict[str, Any], ctx: Context, rule: str = "fields") -> Any:
    """An instance of dataclass ``cls`` from ``raw``, or None when a required field is missing."""
    try:
        return _dataclass(cls, raw, ctx, rule)
    except _Misfit as exc:
        ctx.issue(str(exc), rule, code=exc.code)
        return None


def _dataclass(cls: Any, raw: Any, ctx: Context, rule: str) -> Any:
    if isinstance(raw, cls):
        return raw
    if not isinstance(raw, dict):
        raise _Misfit(f"expected a group of fields for {cls.__name__}, found {raw!r}")
    fields = _fields(cls)
    if not fields.names.issuperset(raw):
        unknown = raw.keys() - fields.names
        raise _Misfit(f"{sorted(unknown)[0]!r} is not a field of {cls.__name__} "
                      f"(fields: {', '.join(fields.plans)})")
    values, missing = typed_fields(cls, raw, ctx, rule)
    if missing:
        raise _Misfit(missing_message(cls, missing), REQUIRED_MISSING)
    return cls(**values)


def typed_fields(cls: Any, raw: dict[str, Any], ctx: Context, rule: str, *,
                 leave_out: frozenset[str] = frozenset()
                 ) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Each field of ``raw`` (fields of ``cls`` only) typed as `build` types it, its issues
    reported, and the required fields left without a value. The fields in ``leave_out`` are
    the caller's (a streamed node's children, typed as they come)."""
    fields = _fields(cls)
    values = {name: plan(raw[name], ctx, rule + suffix)
              for name, plan, suffix in fields.steps_for(raw) if name not in leave_out}
    missing = tuple(name for name in fields.required
                    if values.get(name) is None and name not in leave_out)
    return values, missing


def missing_message(cls: Any, missing: tuple[str, ...]) -> str:
    return f"{cls.__name__} needs {', '.join(missing)}, which the mapping did not find"


def model_fields(cls: Any) -> frozenset[str]:
    """The fields of model class ``cls`` a mapping may set."""
    return frozenset(_fields(cls).plans)


_Plan = Callable[[Any, Context, str], Any]
_Step = tuple[str, _Plan, str]  # (field name, its plan, ".name": the rule suffix)
_KEY_SEQUENCES_KEPT = 512  # per model class; past it (a hostile mix) steps are worked out


@dataclasses.dataclass(frozen=True, slots=True)
class _Fields:
    plans: dict[str, _Plan]  # how to type each field a mapping may set
    required: tuple[str, ...]  # the fields without a default
    names: frozenset[str]  # the plans' names
    steps: tuple[_Step, ...]  # every field's, in the model's order
    # The steps for the fields a raw group has, by its keys as they come: a mapping makes
    # the same few key sequences over and over (every item of a set), so each is worked out
    # once instead of testing every field of the model for every item.
    by_keys: dict[tuple[str, ...], tuple[_Step, ...]] = dataclasses.field(default_factory=dict)

    def steps_for(self, raw: dict[str, Any]) -> tuple[_Step, ...]:
        """The steps for ``raw``'s fields, in the model's order (not the mapping's), so
        issues come in one order whatever order a mapping names fields in."""
        keys = tuple(raw)
        steps = self.by_keys.get(keys)
        if steps is None:
            steps = tuple(step for step in self.steps if step[0] in raw)
            if len(self.by_keys) < _KEY_SEQUENCES_KEPT:
                self.by_keys[keys] = steps
        return steps


@cache
def _fields(cls: Any) -> _Fields:
    """What typing ``cls`` takes, worked out once per model class (not once per value: an
    ASN's hundred thousand items would each ask again)."""
    plans = {name: _plan(hint) for name, hint in _hints(cls).items()}
    return _Fields(plans, tuple(f.name for f in dataclasses.fields(cls)
                                if f.default is dataclasses.MISSING
                                and f.default_factory is dataclasses.MISSING),
                   frozenset(plans), tuple((name, plan, f".{name}")
                                           for name, plan in plans.items()))


@cache
def _hints(cls: Any) -> dict[str, Any]:
    """The fields a mapping may set: all but a document's fixed ``kind``."""
    fixed = {f.name for f in dataclasses.fields(cls)
             if f.name == "kind" and isinstance(f.default, str)}
    return {name: hint for name, hint in get_type_hints(cls).items() if name not in fixed}


@cache
def _plan(hint: Any) -> _Plan:
    """How to type a value for ``hint``: optional, a tuple of, a group of fields, a scalar."""
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return _plan(options[0]) if len(options) == 1 else lambda raw, _ctx, _rule: raw
    if origin is tuple:
        return _tuple_plan(_plan(get_args(hint)[0]))
    if dataclasses.is_dataclass(hint):
        return _group_plan(hint)
    return _scalar_plan(hint)


def _tuple_plan(item: _Plan) -> _Plan:
    def typed(raw: Any, ctx: Context, rule: str) -> Any:
        items = raw if isinstance(raw, list | tuple) else [raw]
        converted = (item(value, ctx, f"{rule}[{n}]") for n, value in enumerate(items, start=1))
        return tuple(value for value in converted if value not in (None, ""))
    return typed


def _group_plan(cls: Any) -> _Plan:
    def typed(raw: Any, ctx: Context, rule: str) -> Any:
        try:
            return _dataclass(cls, raw, ctx, rule)
        except _Misfit as exc:
            ctx.issue(str(exc), rule, origin_of(ctx, rule, raw), code=exc.code)
            return None
    return typed


def _scalar_plan(hint: Any) -> _Plan:
    """Typing one value for a scalar ``hint``, its converter chosen once (`_converter`)."""
    convert = _converter(hint)

    def typed(raw: Any, ctx: Context, rule: str) -> Any:
        if isinstance(raw, list):
            raw = raw[0] if raw else None
        if raw is None:
            return None
        try:
            return convert(raw)
        except (ValueError, InvalidOperation) as exc:
            ctx.issue(f"{raw!r} is not {_describe(hint)} ({exc})" if str(exc) else
                      f"{raw!r} is not {_describe(hint)}", rule, ctx.origins.get(rule),
                      code=VALUE_UNUSABLE)
            return None
    return typed


def origin_of(ctx: Context, rule: str, raw: Any) -> Any:
    """The segment a group of fields was read from: that of its first field read."""
    if isinstance(raw, dict):
        return next((ctx.origins[f"{rule}.{name}"] for name in raw
                     if f"{rule}.{name}" in ctx.origins), None)
    return None


def _converter(hint: Any) -> Callable[[Any], Any]:
    """How a raw value becomes a ``hint``: text stripped, an enum member by its value, a
    number, date, moment or flag by its converter; anything else as it is."""
    if hint is str:
        return lambda raw: str(raw).strip()
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    converter = _CONVERTERS.get(hint)
    if converter is None:
        return lambda raw: raw
    return lambda raw: converter(str(raw).strip())


def usable_decimal(text: str) -> Decimal:
    """``text`` as a Decimal any later arithmetic can use: finite and of a plausible size."""
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError("not a finite number: NaN and Infinity cannot be counted or compared")
    if abs(value.adjusted()) > MAX_ADJUSTED_EXPONENT:
        raise ValueError(f"its magnitude is beyond 10^{MAX_ADJUSTED_EXPONENT} either way, "
                         "which no quantity or amount has")
    return value


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


_CONVERTERS: dict[Any, Callable[[str], Any]] = {
    int: int, Decimal: usable_decimal, bool: _boolean, date: x12_date,
    datetime: _aware_datetime}
