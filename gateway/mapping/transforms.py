"""Named Python transforms: the escape hatch a mapping calls by name for true quirks.

Register one with ``@transform("name")``; a mapping uses it as
``{transform: name, args: {...}}`` (args are rules too) or as a document's ``finish`` step.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from gateway.mapping.engine import Context, Transform

TRANSFORMS: dict[str, Transform] = {}

# X12 623 time codes: fixed offsets for the standard/daylight codes, the region for the others.
_FIXED_HOURS = {"UT": 0, "GM": 0, "ES": -5, "ED": -4, "CS": -6, "CD": -5, "MS": -7, "MD": -6,
                "PS": -8, "PD": -7, "AS": -4, "AD": -3, "HS": -10, "HD": -9, "NS": -3.5,
                "ND": -2.5}
_REGIONS = {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver",
            "PT": "America/Los_Angeles", "AT": "America/Halifax", "HT": "Pacific/Honolulu",
            "NT": "America/St_Johns"}
_LOCAL = {"", "LT"}


def transform(name: str) -> Callable[[Transform], Transform]:
    def register(function: Transform) -> Transform:
        TRANSFORMS[name] = function
        return function
    return register


@transform("x12_moment")
def x12_moment(args: dict[str, Any], ctx: Context) -> str | None:
    """``date`` (CCYYMMDD / YYMMDD) + ``time`` (HHMM[SS]) + ``zone`` (X12 623) -> ISO 8601."""
    moment = _moment(args, ctx)
    return moment[0].isoformat() if moment else None


@transform("x12_timestamp")
def x12_timestamp(args: dict[str, Any], ctx: Context) -> dict[str, Any] | None:
    """The same as a Timestamp: the moment, the sender's zone code, and whether it was assumed."""
    moment = _moment(args, ctx)
    if moment is None:
        return None
    at, code, assumed = moment
    return {"at": at.isoformat(), "zone_code": code or None, "assumed_zone": assumed}


def _moment(args: dict[str, Any], ctx: Context) -> tuple[datetime, str, bool] | None:
    day, clock = str(args.get("date") or ""), str(args.get("time") or "")
    if not day or not clock:
        return None  # a date alone is a date, not a moment: no midnight is invented
    if len(day) == 6:
        day = "20" + day
    clock = (clock + "0000")[:6]
    code = str(args.get("zone") or "").strip().upper()
    naive = naive_moment(day + clock)  # ValueError -> a located issue
    zone, assumed = _zone(code, ctx)
    return naive.replace(tzinfo=zone), code, assumed


def naive_moment(digits: str) -> datetime:
    """CCYYMMDDHHMMSS read by position (strptime's regular expressions cost most of a 214's
    mapping); anything else, or a moment that does not exist, is strptime's to read or to
    refuse in its own words. For fourteen digits that make a real moment the two agree:
    each of strptime's fields then matches exactly two (four) digits."""
    if len(digits) == 14 and digits.isascii() and digits.isdigit():
        try:
            return datetime(int(digits[:4]), int(digits[4:6]), int(digits[6:8]),
                            int(digits[8:10]), int(digits[10:12]), int(digits[12:]))
        except ValueError:
            pass
    return datetime.strptime(digits, "%Y%m%d%H%M%S")


def _zone(code: str, ctx: Context) -> tuple[tzinfo, bool]:
    if code in _FIXED_HOURS:
        return timezone(timedelta(hours=_FIXED_HOURS[code])), False
    if code in _REGIONS:
        return ZoneInfo(_REGIONS[code]), False
    if code not in _LOCAL:
        raise ValueError(f"time code {code!r} is not one the gateway knows")
    return ZoneInfo(ctx.timezone), True


HIERARCHY_RULE = "fields.hierarchy"  # the rule an 856 mapping reads its HL loops under


@transform("hl_tree")
def hl_tree(document: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """856 finish step: the flat HL list becomes a tree by HL02 parent ids.

    An HL whose parent is missing or unknown (a flat or broken hierarchy, as some partners
    send) becomes a root of its own rather than being lost; the issue is reported.
    """
    nodes = document.get("hierarchy", [])
    by_id: dict[Any, dict[str, Any]] = {}
    flat_index: dict[int, int] = {}  # id() of a nested node -> its number in the flat list
    for number, node in enumerate(nodes, start=1):
        nested = {**node, "children": []}
        by_id[node.get("hl_id")] = nested
        flat_index[id(nested)] = number
    roots = []
    for node in by_id.values():
        parent = by_id.get(node.get("parent_id"))
        if parent is None or parent is node:
            if node.get("parent_id"):
                ctx.issue(orphan_message(node), "hierarchy", severity="warning")
            roots.append(node)
        else:
            parent["children"].append(node)
    _rename_origins(ctx, _nested_rules(roots, flat_index))
    return {**document, "hierarchy": roots, "hierarchy_depth": _depth(roots)}


def orphan_message(node: dict[str, Any]) -> str:
    return (f"HL {node.get('hl_id')} names parent {node.get('parent_id')}, which is not in "
            "the set; kept as a root")


def child_rule(parent_rule: str, number: int) -> str:
    """The rule a nested node is typed under: ``fields.hierarchy[1].children[3]``."""
    return f"{parent_rule}.children[{number}]"


def root_rule(number: int) -> str:
    return f"{HIERARCHY_RULE}[{number}]"


def _nested_rules(roots: list[dict[str, Any]], flat_index: dict[int, int]) -> dict[int, str]:
    """Each node's number in the flat list -> the rule it is typed under once nested."""
    rules: dict[int, str] = {}
    pending = [(root_rule(n), root) for n, root in enumerate(roots, start=1)]
    while pending:
        rule, node = pending.pop()
        rules[flat_index[id(node)]] = rule
        pending.extend((child_rule(rule, n), child)
                       for n, child in enumerate(node["children"], start=1))
    return rules


def _rename_origins(ctx: Context, rules: dict[int, str]) -> None:
    """Where each node's values were read was noted under its flat rule (`fields.hierarchy[57]
    .quantity_shipped.value`); typing the tree asks under the nested one, so a value it refuses
    is located at its segment."""
    renamed = {}
    prefix = f"{HIERARCHY_RULE}["
    for key, segment in ctx.origins.items():
        if not key.startswith(prefix):
            renamed[key] = segment
            continue
        close = key.index("]", len(prefix))
        nested = rules.get(int(key[len(prefix):close]))
        if nested is not None:
            renamed[nested + key[close + 1:]] = segment
    ctx.origins.clear()
    ctx.origins.update(renamed)


def _depth(nodes: list[dict[str, Any]]) -> int:
    return 1 + max(_depth(n["children"]) for n in nodes) if nodes else 0


@transform("return_stage")
def return_stage(args: dict[str, Any], ctx: Context) -> str:
    """Whether a 180 asks, answers or notifies, from BGN01 and the header RDR01.

    X12 leaves it to usage: an answer carries a decision (RDR01 RA / PA / RD) or is sent as a
    response (BGN01 11); a notification reports a consumer return already on its way (RDR01 CR
    or RN); everything else asks.
    """
    purpose = str(args.get("purpose") or "")
    disposition = str(args.get("disposition") or "")
    if purpose == "11" or disposition in ("RA", "PA", "RD"):
        return "authorization"
    if disposition in ("CR", "RN"):
        return "notification"
    return "request"


@transform("shipment_summary")
def shipment_summary(document: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """856 finish step: the shipment level's carrier, BOL, PRO, tracking and weights describe
    the whole shipment, so they are lifted to the document (they stay on the node too)."""
    shipment = next((n for n in document.get("hierarchy", []) if n.get("level") == "shipment"),
                    None)
    if shipment is None:
        return document
    references = shipment.get("references", [])
    lifted = {
        "carrier": shipment.get("carrier"),
        "bill_of_lading": _first_reference(references, "BM"),
        "pro_number": _first_reference(references, "CN"),
        "tracking_numbers": [r["value"] for r in references if r.get("qualifier") in ("2I",)],
        "measures": shipment.get("measures"),
        "lading_quantity": shipment.get("lading_quantity"),
        "parties": [*document.get("parties", []), *shipment.get("parties", [])],
    }
    return {**document, **{k: v for k, v in lifted.items() if v}}


def _first_reference(references: list[dict[str, Any]], qualifier: str) -> str | None:
    return next((r.get("value") for r in references if r.get("qualifier") == qualifier), None)


@transform("present")
def present(args: dict[str, Any], ctx: Context) -> list[Any]:
    """The values in ``args`` that are there, in order (e.g. an 861 RCD's five quantities in
    question, each read by a rule of its own)."""
    return [value for value in args.values() if _there(value)]


@transform("first_present")
def first_present(args: dict[str, Any], ctx: Context) -> Any:
    """The first value in ``args`` that is there (e.g. DTM*050, else BRA02 + BRA05)."""
    return next((value for value in args.values() if _there(value)), None)


def _there(value: Any) -> bool:
    """A rule found something: not nothing, not an empty text, list or object."""
    return value not in (None, "", [], {})


@transform("concat")
def concat(args: dict[str, Any], ctx: Context) -> list[Any]:
    """The lists in ``args``, one after the other (e.g. TD1 and MEA weights)."""
    return [item for value in args.values() if isinstance(value, list) for item in value]


_COMMUNICATION = {"TE": "phone", "EM": "email", "FX": "fax"}


@transform("communication")
def communication(args: dict[str, Any], ctx: Context) -> str | None:
    """PER03..PER08 hold up to three (qualifier, number) pairs: TE phone, EM email, FX fax.
    ``want`` says which kind to return: the first number of that kind."""
    for n in (1, 2, 3):
        if _COMMUNICATION.get(str(args.get(f"q{n}") or "")) == args.get("want"):
            return str(args.get(f"v{n}") or "") or None
    return None


@transform("number_lines")
def number_lines(document: dict[str, Any], ctx: Context) -> dict[str, Any]:
    """180 and 861 finish step: lines are numbered 1, 2, ... in the order they were sent."""
    lines = [{**line, "line_number": n} for n, line in enumerate(document.get("lines", []), 1)]
    return {**document, "lines": lines} if lines else document
