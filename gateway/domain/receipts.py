"""What the return centre's 861 says arrived, against what the case expected: located findings.

A receiving advice (861) counts, per item, what arrived (RCD02), what the dock refused and sent
back (RCD04) and what it questions and why (RCD06-20, X12 412: damaged, short, over...). This
module compares the advices that count (`ReturnCase.current_receipts`) with the two things a
case expects:

* the ship notice: the 856 item nodes of the case (what the sender says it packed);
* the authorization: the 180 lines (their latest statement), with a denied line (RDR01 RD) or a
  denied case expecting nothing. When the vendor has not answered yet, the request's lines
  stand in, and the findings say "requested", not "authorized".

How items are matched
    Items are the same product when they share a product identity (GTIN / UPC / EAN as GTIN-14,
    or an id of a compared scheme: `gateway.domain.recall_match.product_identity`) or a serial
    number. Everything that shares one, directly or through another line, is one *item group*;
    quantities are compared per group, in one unit (a group whose quantities are in different
    units is a finding of its own, never a guessed conversion). Lines that name no item at all
    form one group of their own.

What becomes a finding (each names the 861 line(s) and the 856 / 180 line(s) it compares with)
    * fewer or more units received than shipped, or received on no ship notice of the case;
    * fewer or more received than authorized, or received on no line of the authorization;
    * every quantity the dock questions (damaged, quality problem, wrong product...), except a
      shortage or overage already told by the comparison with the ship notice, which names the
      dock's own words instead;
    * units refused at the dock (RCD04);
    * serial numbers shipped but not received, and received but not shipped, named in the
      quantity finding of their group (or in a finding of their own when the counts agree);
    * a receipt for a return of which the gateway has no 180 line and no 856 item at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from gateway.domain.recall_match import product_identity
from gateway.domain.return_case import Receipt, ReturnCase
from gateway.model import (
    Disposition,
    ItemId,
    Quantity,
    ReceivedLine,
    ReceivingCondition,
    ReturnLine,
    ShipmentNode,
)
from gateway.model.states import CaseState

# X12 412 in words, for findings.
CONDITION_WORDS: dict[str, str] = {
    "01": "damaged product or container", "02": "quantity short", "03": "quantity over",
    "04": "quality problem", "05": "incorrect product", "06": "non-standard container",
    "07": "good condition", "08": "rejected", "09": "on hold", "10": "material scrapped",
    "11": "adjust supplier shipped cumulative quantity",
    "12": "quantity over, returned to supplier",
    "13": "received, cannot process: no matching ship notice",
    "14": "received and processed with no matching ship notice",
    "16": "not received, ship notice required",
}
# Conditions the ship-notice comparison already tells in numbers (it quotes the dock's words).
_COUNTED_CONDITIONS = frozenset({ReceivingCondition.SHORT, ReceivingCondition.OVER,
                                 ReceivingCondition.NOT_RECEIVED})
_NOT_A_PROBLEM = frozenset({ReceivingCondition.GOOD})


class FindingKind(StrEnum):
    SHORT = "short"  # fewer received than the ship notice says were sent
    OVER = "over"  # more received than shipped
    NOT_SHIPPED = "not-shipped"  # received, on no ship notice of the case
    BELOW_AUTHORIZED = "below-authorized"
    ABOVE_AUTHORIZED = "above-authorized"
    NOT_AUTHORIZED = "not-authorized"  # received, on no line the vendor authorized
    CONDITION = "condition"  # a quantity the dock questions (RCD06-20)
    REFUSED = "refused"  # sent back from the dock (RCD04)
    UNITS_DIFFER = "units-differ"  # quantities in different units: not compared
    SERIALS_DIFFER = "serials-differ"  # as many received as shipped, not the same units
    UNKNOWN_RETURN = "unknown-return"  # a receipt for a return with no 180 line or 856 item


@dataclass(frozen=True, slots=True)
class ReceiptFinding:
    kind: FindingKind
    item: str  # "UPC 614141000418 (Electric kettle)"
    quantity: Decimal | None
    unit: str | None
    where: tuple[str, ...]  # the 861 lines: "861 RCV20260121001 line 3"
    against: tuple[str, ...]  # "856 ASN20260120001 HL 5", "180 RMA7734021 line 2"
    text: str  # the whole finding, for people
    condition_code: str | None = None


@dataclass(frozen=True, slots=True)
class _Expected:
    label: str
    quantity: Quantity | None
    item_ids: tuple[ItemId, ...]
    serials: tuple[str, ...]
    description: str | None
    line_number: int | None = None  # a 180 line's


@dataclass(frozen=True, slots=True)
class _Received:
    label: str
    line: ReceivedLine


@dataclass
class _Group:
    shipped: list[_Expected] = field(default_factory=list)
    authorized: list[_Expected] = field(default_factory=list)
    received: list[_Received] = field(default_factory=list)


def receipt_findings(case: ReturnCase) -> tuple[ReceiptFinding, ...]:
    """Every difference between the case's receiving advices and what it expected (module
    doc); none while no advice counts."""
    receipts = case.current_receipts
    if not receipts:
        return ()
    shipped = list(_shipped(case))
    authorized = list(_authorized(case))
    received = [_Received(_line_label(receipt, line), line)
                for receipt in receipts for line in receipt.advice.lines]
    findings: list[ReceiptFinding] = []
    if not shipped and not case.lines:
        findings += [_unknown_return(receipt) for receipt in receipts]
    authorization = _authorization_word(case) if case.lines else None
    for group in _groups(shipped, authorized, received):
        findings.extend(_group_findings(group, has_shipments=bool(shipped),
                                        authorization=authorization))
    return tuple(findings)


def received_by_line(case: ReturnCase) -> dict[int, Decimal] | None:
    """How many units of each 180 line arrived, by the advices that count; None before any
    does. A group's received units go to its lines in line order, each up to its own quantity,
    and what is left over to the last of them (it arrived: someone must decide its fate). A
    line whose group received nothing, or that shares no item with any received line, got 0."""
    if not case.current_receipts:
        return None
    lines = list(_authorized(case, denied_expect_nothing=False))
    received = [_Received(_line_label(receipt, line), line)
                for receipt in case.current_receipts for line in receipt.advice.lines]
    arrived = {e.line_number: Decimal(0) for e in lines if e.line_number is not None}
    for group in _groups([], lines, received):
        left = _received_total(group)
        ordered = sorted(group.authorized, key=lambda e: e.line_number or 0)
        for position, entry in enumerate(ordered, start=1):
            wanted = entry.quantity.value if entry.quantity is not None else Decimal(1)
            share = left if position == len(ordered) else min(left, wanted)
            arrived[entry.line_number or 0] = share
            left -= share
    return arrived


def _unknown_return(receipt: Receipt) -> ReceiptFinding:
    """A dock reports goods of a return no 180 line or 856 item of this gateway describes (an
    RMA it never saw, a return sent without notice): nothing to compare with, and someone must
    find out whose goods they are."""
    quoted = ", ".join(f"{r.qualifier} {r.value}" for r in receipt.advice.references) or "none"
    label = f"{receipt.cause.kind} {receipt.cause.id}"
    return ReceiptFinding(
        FindingKind.UNKNOWN_RETURN, "the whole receipt", None, None, (label,), (),
        f"{label} reports goods of a return with no authorization or ship notice here "
        f"(its references: {quoted}): nothing to compare them with")


# --- what the case expects ------------------------------------------------------------------
def _shipped(case: ReturnCase) -> Iterator[_Expected]:
    for item in sorted(case.shipped, key=lambda i: (str(i.cause), i.node.hl_id)):
        node: ShipmentNode = item.node
        yield _Expected(f"{item.cause.kind} {item.cause.id} HL {node.hl_id}",
                        node.quantity_shipped, node.item_ids, node.serials, node.description)


def _authorized(case: ReturnCase, *, denied_expect_nothing: bool = True) -> Iterator[_Expected]:
    name = _case_name(case)
    denied_case = case.decision is CaseState.DENIED
    for case_line in case.lines:
        line = case_line.line
        quantity = line.quantity
        if denied_expect_nothing and quantity is not None and (denied_case or _denied(line)):
            quantity = Quantity(Decimal(0), quantity.unit)
        yield _Expected(f"180 {name} line {line.line_number}", quantity, line.item_ids,
                        line.serials, line.description, line.line_number)


def _denied(line: ReturnLine) -> bool:
    return line.reasons is not None and line.reasons.disposition is Disposition.DENIED


def _authorization_word(case: ReturnCase) -> str:
    verdicts = (CaseState.AUTHORIZED, CaseState.PARTIALLY_AUTHORIZED, CaseState.DENIED)
    return "authorized" if case.decision in verdicts else "requested"


def _case_name(case: ReturnCase) -> str:
    rmas = sorted(name.value for name in case.names if name.kind == "rma")
    return rmas[0] if rmas else case.case_id


def _line_label(receipt: Receipt, line: ReceivedLine) -> str:
    label = f"{receipt.cause.kind} {receipt.cause.id} line {line.line_number}"
    if line.assigned_id and line.assigned_id.strip() != str(line.line_number):
        label += f" (RCD01 {line.assigned_id.strip()})"
    return label


# --- item groups ----------------------------------------------------------------------------
def _identities(item_ids: Iterable[ItemId], serials: Iterable[str]) -> set[str]:
    found = {identity for item_id in item_ids if (identity := product_identity(item_id))}
    return found | {f"serial:{serial.strip().upper()}" for serial in serials if serial.strip()}


def _groups(shipped: list[_Expected], authorized: list[_Expected],
            received: list[_Received]) -> list[_Group]:
    """Entries joined when they share an identity, directly or through others (union-find);
    entries with none join one group of the unidentified."""
    entries: list[tuple[str, object, set[str]]] = [
        *(("shipped", e, _identities(e.item_ids, e.serials)) for e in shipped),
        *(("authorized", e, _identities(e.item_ids, e.serials)) for e in authorized),
        *(("received", r, _identities(r.line.item_ids, r.line.serials)) for r in received)]
    parent = list(range(len(entries)))

    def root(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    first_with: dict[str, int] = {}
    for index, (_, _, identities) in enumerate(entries):
        for identity in identities or {"(no item id)"}:
            if identity in first_with:
                parent[root(index)] = root(first_with[identity])
            else:
                first_with[identity] = index
    groups: dict[int, _Group] = defaultdict(_Group)
    for index, (side, entry, _) in enumerate(entries):
        group = groups[root(index)]
        if isinstance(entry, _Received):
            group.received.append(entry)
        elif isinstance(entry, _Expected):
            (group.shipped if side == "shipped" else group.authorized).append(entry)
    return [group for group in groups.values() if group.received]


# --- findings of one group ------------------------------------------------------------------
def _group_findings(group: _Group, *, has_shipments: bool,
                    authorization: str | None) -> list[ReceiptFinding]:
    item = _item_words(group)
    where = tuple(r.label for r in group.received)
    units = _units(group)
    if len(units) > 1:
        return [ReceiptFinding(
            FindingKind.UNITS_DIFFER, item, None, None, where,
            tuple(e.label for e in (*group.shipped, *group.authorized)),
            f"{item}: quantities are in different units ({', '.join(sorted(units))}); "
            "not compared")]
    unit = next(iter(units), None)
    findings = []
    if has_shipments:
        findings.extend(_against_ship_notice(group, item, unit))
    if authorization is not None:
        findings.extend(_against_authorization(group, item, unit, authorization))
    findings.extend(_dock_conditions(group, item, counted=has_shipments))
    findings.extend(_refused(group, item))
    return findings


def _against_ship_notice(group: _Group, item: str, unit: str | None) -> list[ReceiptFinding]:
    received = _received_total(group)
    where = tuple(r.label for r in group.received)
    if not group.shipped:
        return [ReceiptFinding(FindingKind.NOT_SHIPPED, item, received, unit, where, (),
                               f"{item}: {_amount(received, unit)} received ({_join(where)}) "
                               "but on no ship notice of the return")]
    shipped = _total(e.quantity for e in group.shipped)
    against = tuple(e.label for e in group.shipped)
    if received == shipped:
        serials = _serial_words(group)
        if not serials:
            return []
        return [ReceiptFinding(FindingKind.SERIALS_DIFFER, item, None, unit, where, against,
                               f"{item}: {_amount(received, unit)} shipped and received "
                               f"({_join(against)}; {_join(where)}), but{serials[1:]}")]
    kind = FindingKind.SHORT if received < shipped else FindingKind.OVER
    difference = abs(shipped - received)
    text = (f"{item}: {_amount(difference, unit)} {kind}: {_amount(shipped, unit)} shipped "
            f"({_join(against)}), {_amount(received, unit)} received ({_join(where)})"
            f"{_serial_words(group)}{_dock_says(group)}")
    return [ReceiptFinding(kind, item, difference, unit, where, against, text)]


def _against_authorization(group: _Group, item: str, unit: str | None,
                           word: str) -> list[ReceiptFinding]:
    received = _received_total(group)
    where = tuple(r.label for r in group.received)
    if not group.authorized:
        return [ReceiptFinding(FindingKind.NOT_AUTHORIZED, item, received, unit, where, (),
                               f"{item}: {_amount(received, unit)} received ({_join(where)}) "
                               f"but on no line {word} for the return")]
    expected = _total(e.quantity for e in group.authorized)
    if received == expected:
        return []
    kind = (FindingKind.BELOW_AUTHORIZED if received < expected
            else FindingKind.ABOVE_AUTHORIZED)
    against = tuple(e.label for e in group.authorized)
    difference = abs(expected - received)
    relation = "fewer" if received < expected else "more"
    text = (f"{item}: {_amount(received, unit)} received ({_join(where)}), "
            f"{_amount(expected, unit)} {word} ({_join(against)}): "
            f"{_amount(difference, unit)} {relation} than {word}")
    return [ReceiptFinding(kind, item, difference, unit, where, against, text)]


def _dock_conditions(group: _Group, item: str, *, counted: bool) -> list[ReceiptFinding]:
    """Each questioned quantity, but for the shortages and overages the ship-notice comparison
    already tells (``counted``)."""
    findings = []
    for received in group.received:
        for question in received.line.in_question:
            if question.condition in _NOT_A_PROBLEM or (
                    counted and question.condition in _COUNTED_CONDITIONS):
                continue
            words = _condition_words(question.condition_code)
            amount = _amount(question.quantity.value, question.quantity.unit)
            findings.append(ReceiptFinding(
                FindingKind.CONDITION, item, question.quantity.value, question.quantity.unit,
                (received.label,), (),
                f"{item}: {amount} {words} ({received.label}, RCD "
                f"condition {question.condition_code})", question.condition_code))
    return findings


def _refused(group: _Group, item: str) -> list[ReceiptFinding]:
    findings = []
    for received in group.received:
        refused = received.line.quantity_returned
        if refused is None or not refused.value:
            continue
        findings.append(ReceiptFinding(
            FindingKind.REFUSED, item, refused.value, refused.unit, (received.label,), (),
            f"{item}: {_amount(refused.value, refused.unit)} refused at the dock and sent "
            f"back ({received.label}, RCD04)"))
    return findings


# --- words and sums -------------------------------------------------------------------------
def _units(group: _Group) -> set[str]:
    quantities = [*(e.quantity for e in (*group.shipped, *group.authorized)),
                  *(r.line.quantity_received for r in group.received)]
    return {(q.unit or "").strip().upper() for q in quantities
            if q is not None and (q.unit or "").strip()}


def _received_total(group: _Group) -> Decimal:
    return _total(r.line.quantity_received for r in group.received)


def _total(quantities: Iterable[Quantity | None]) -> Decimal:
    return sum((q.value for q in quantities if q is not None), start=Decimal(0))


def _item_words(group: _Group) -> str:
    lines = [r.line for r in group.received]
    item_ids = [*(i for line in lines for i in line.item_ids),
                *(i for e in (*group.shipped, *group.authorized) for i in e.item_ids)]
    description = next((d for d in (*(line.description for line in lines),
                                    *(e.description for e in group.shipped),
                                    *(e.description for e in group.authorized)) if d), None)
    name = item_name(item_ids) or "an item with no id"
    return f"{name} ({description})" if description else name


def item_name(item_ids: Sequence[ItemId]) -> str | None:
    """'UP 614141000364': the first id, by the qualifier it was sent with; None without one."""
    if not item_ids:
        return None
    first = item_ids[0]
    return f"{(first.qualifier or first.scheme).upper()} {first.value}"


def _serial_words(group: _Group) -> str:
    expected = {s.strip().upper() for e in group.shipped for s in e.serials if s.strip()}
    arrived = {s.strip().upper() for r in group.received for s in r.line.serials
               if s.strip() and r.line.quantity_received is not None
               and r.line.quantity_received.value > 0}
    if not expected or not {s for r in group.received for s in r.line.serials}:
        return ""  # one side names no serials: nothing to compare
    parts = []
    if missing := sorted(expected - arrived):
        parts.append(f"serial {', '.join(missing)} not received")
    if extra := sorted(arrived - expected):
        parts.append(f"serial {', '.join(extra)} not shipped")
    return f"; {'; '.join(parts)}" if parts else ""


def _dock_says(group: _Group) -> str:
    said = sorted({q.condition_code or "" for r in group.received for q in r.line.in_question
                   if q.condition in _COUNTED_CONDITIONS})
    if not said:
        return ""
    words = ", ".join(f"{_condition_words(code)} (RCD condition {code})" for code in said)
    return f"; the dock reports: {words}"


def _condition_words(code: str | None) -> str:
    return CONDITION_WORDS.get((code or "").strip(), f"condition {code or 'not given'}")


def number_words(value: Decimal) -> str:
    """10, 2.5: no exponent, no trailing zeros on a whole number."""
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


def _amount(value: Decimal, unit: str | None) -> str:
    return f"{number_words(value)} {unit}" if unit else number_words(value)


def _join(labels: Iterable[str]) -> str:
    return "; ".join(labels)
