"""A recall notice, sent on to every partner whose returns or shipments carry the product.

When a notice is accepted the coordinator's acknowledgement is already queued by the pipeline;
this finds the affected partners (their stored 180 lines and 856 items matched by
`gateway.domain.recall_match`, the same rules that put case lines on hold), sends each a
notification in the form its partner file asks for, and records it as a recipient. Recipients
answer with a recall-response quoting the notification id (the pipeline records it). Checked
again whenever a partner's return or shipment arrives, so a partner whose affected goods show
up after the notice is notified then. Once per (notice, partner).

A notice is its issuer's (`gateway.app.cases.issued_notices`): versions are picked by issuer + id,
and a version another partner sent of someone's notice updates or cancels nothing.

A holding document that cannot be read back or matched (a line whose quantity is not a
finite number, stored before the mapping refused such values) is left out of the notification
and recorded as that document's failure: it must neither stop the notification nor get it
held as unwritable, which would keep a genuine recall from the partner.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from gateway.app.cases import NoticeKey, issued_notices
from gateway.app.events import recipient_notified_event
from gateway.app.outbound.failures import FollowUpFailure, read_back, recorded
from gateway.app.outbound.queue import next_document_id, queue_unwritable, queue_xml
from gateway.app.outbound.terms import Outbound
from gateway.app.parted import recalled_products
from gateway.app.partners import PartnerSettings
from gateway.app.ports import StoredDocument
from gateway.domain.recall_match import (
    RecallableLine,
    RecallMatch,
    identity_spellings,
    is_active,
    recall_holds,
    shipment_items,
)
from gateway.model import RecallNotice, ReturnAuthorization, ReturnShipment
from gateway.recall import AffectedItem, RecallNotification, build_recall_notification


@dataclass(frozen=True, slots=True)
class Notified:
    notice_id: str
    partner: str
    notification_id: str
    units: Decimal


def notify_affected_partners(context: Outbound, now: datetime, file_id: int | None = None,
                             *, partners: Collection[str] | None = None,
                             failures: list[FollowUpFailure] | None = None) -> list[Notified]:
    """Every active notice x every partner (of ``partners``, default all) taking recall
    notifications that is not yet a recipient and whose documents carry an affected product:
    notified now. With ``failures``, a holding document that cannot be used, or a partner
    whose notification fails, is recorded there and the others go on; without, it raises."""
    notices = latest_notices(context.store.documents_of_kind("recall-notice"))
    candidates = [p for p in context.parties.values() if p.recall_notifications != "none"
                  and (partners is None or p.id in partners)]
    if not notices or not candidates:
        return []
    holdings = _documents_by_partner(context, {p.id for p in candidates}, failures,
                                     recalled_products(notices))
    notified = []
    for notice in notices:
        already = context.store.recall_recipient_partners(notice.notice_id)
        for party in candidates:
            if party.id in already:
                continue
            found = _affected_items(notice, holdings.get(party.id, []), failures)
            with recorded(failures, [stored for stored, _ in found], "recall notifications"):
                if found and (done := _notify(context, party, notice, found,
                                              file_id=file_id, now=now)):
                    notified.append(done)
    return notified


def latest_notices(stored: Iterable[StoredDocument]) -> list[RecallNotice]:
    """The newest version of each active notice."""
    return [n for n in latest_versions(stored).values() if is_active(n)]


def latest_versions(stored: Iterable[StoredDocument]) -> dict[str, RecallNotice]:
    """The newest version of every notice, active or not, by its first id, oldest first. An
    id has one issuer (the partner that sent its first version), so the id alone names it."""
    return {key.notice_id: notice for key, notice in latest_by_issuer(stored).items()}


def latest_by_issuer(stored: Iterable[StoredDocument]) -> dict[NoticeKey, RecallNotice]:
    """The newest version of every notice, active or not, by issuer + id, oldest first; only
    the issuer's own versions count."""
    latest: dict[NoticeKey, RecallNotice] = {}
    for key, _, notice in issued_notices(stored):
        latest[key] = notice
    return latest


Holdings = list[tuple[StoredDocument, list[RecallableLine]]]


HOLDING_KINDS = ("return-authorization", "return-shipment")


def _documents_by_partner(context: Outbound, partners: set[str],
                          failures: list[FollowUpFailure] | None,
                          recalled: frozenset[str]) -> dict[str, Holdings]:
    """The partners' received returns and shipments that carry a recalled product, each with
    its lines. Only those can match (`recall_holds` needs a shared product identity), so they
    are found through the item index: a return arriving while a recall is active reads the
    few documents that carry the product, not every document the partner ever sent."""
    spellings = {value for identity in recalled for value in identity_spellings(identity)}
    found: dict[str, Holdings] = {}
    for stored in context.store.documents_carrying(HOLDING_KINDS, partners, spellings):
        with recorded(failures, [stored], "recall notifications"):
            lines = _recallable_lines(stored, recalled)
            if lines:
                found.setdefault(stored.partner, []).append((stored, lines))
    return found


def _recallable_lines(stored: StoredDocument, recalled: frozenset[str]
                      ) -> list[RecallableLine]:
    """The lines and shipped items of a stored document; of a ship notice kept in parts, the
    items whose product a notice names (the others cannot be held)."""
    document = read_back(stored, recalled)
    if isinstance(document, ReturnAuthorization):
        return list(document.lines)
    if isinstance(document, ReturnShipment):
        return list(shipment_items(document))
    return []


def _affected_items(notice: RecallNotice, holdings: Holdings,
                    failures: list[FollowUpFailure] | None
                    ) -> list[tuple[StoredDocument, RecallMatch]]:
    """The matches of each holding document; one that cannot be matched is recorded (with
    ``failures``) and left out, so it cannot spoil the others'."""
    found = []
    for stored, lines in holdings:
        with recorded(failures, [stored], "recall notifications"):
            found += [(stored, match) for match in recall_holds(notice, lines)]
    return found


def _units(match: RecallMatch) -> Decimal:
    """The recalled units of a line: its serials inside the recall when it lists serials (one
    unit each), else its whole quantity (a lot or a product cannot be split further)."""
    if match.serials:
        return Decimal(len(match.serials))
    quantity = getattr(match.line, "quantity", None) or getattr(match.line,
                                                                "quantity_shipped", None)
    return quantity.value if quantity is not None else Decimal(0)


def affected_units(found: list[tuple[StoredDocument, RecallMatch]]) -> Decimal:
    """Units the partner holds: their return requests' lines, or, when no request carries the
    product, the shipments' items (a return usually appears in both: counting both would
    double it)."""
    requested = [m for stored, m in found if stored.kind == "return-authorization"]
    chosen = requested or [m for _, m in found]
    return sum((_units(m) for m in chosen), Decimal(0))


def _notify(context: Outbound, party: PartnerSettings, notice: RecallNotice,
            found: list[tuple[StoredDocument, RecallMatch]], *, file_id: int | None,
            now: datetime) -> Notified | None:
    key = f"recall:{notice.notice_id}"
    units = affected_units(found)
    items = [AffectedItem(document=stored.reference, line=match.line_label,
                          identifier=match.identifier, lots=match.lots,
                          serials=match.serials, quantity=_units(match))
             for stored, match in found]
    with context.store.transaction() as tx:
        if tx.outbound_exists(party.id, key):
            return None
        notification_id = next_document_id(tx, "N")
        try:
            payload = build_recall_notification(RecallNotification(
                notification_id=notification_id, created_at=now, recipient=party.id,
                notice=notice, items=tuple(items)))
        except ValueError as exc:  # the notice holds what our schema cannot carry
            queue_unwritable(tx, party, "recall-notification", str(exc),
                             purpose="recall-notification", subject=notice.notice_id,
                             dedupe_key=key, file_id=file_id, now=now)
            return None
        outbox_id = queue_xml(tx, party, "recall-notification", notification_id, payload,
                              purpose="recall-notification", subject=notice.notice_id,
                              dedupe_key=key, file_id=file_id, now=now)
        affected = [{"document": s.reference, "line": m.line_label, "item": m.identifier,
                     "lots": list(m.lots), "serials": list(m.serials), "units": str(_units(m))}
                    for s, m in found]
        tx.add_recall_recipient(
            notice.notice_id, party.id, notification_id=notification_id, outbox_id=outbox_id,
            affected_units=str(units), affected_items=json.dumps(affected), notified_at=now)
        tx.add_event(recipient_notified_event(
            notice.notice_id, party.id, notification_id, affected_units=str(units),
            items=affected, at=now, file_id=file_id))
    return Notified(notice.notice_id, party.id, notification_id, units)


class RecipientState(Protocol):
    """What effectiveness needs of a recipient (`gateway.store.repository.RecallRecipient`)."""

    @property
    def partner(self) -> str: ...
    @property
    def delivered_at(self) -> datetime | None: ...
    @property
    def responded_at(self) -> datetime | None: ...
    @property
    def affected_units(self) -> str | None: ...
    @property
    def units_found(self) -> str | None: ...
    @property
    def units_returned(self) -> str | None: ...


@dataclass(frozen=True, slots=True)
class Effectiveness:
    """A recall's reach, by the recipients' own counts (what `gateway recall status`, the
    console and the demo show)."""

    recipients: int
    delivered: int
    responded: int
    affected_units: Decimal
    units_found: Decimal
    units_returned: Decimal
    not_answered: tuple[str, ...]

    @property
    def response_rate(self) -> str:
        return f"{100 * self.responded // self.recipients}%" if self.recipients else "-"

    def as_json(self) -> dict[str, Any]:
        return {"recipient_count": self.recipients, "delivered": self.delivered,
                "responded": self.responded, "response_rate": self.response_rate,
                "not_answered": list(self.not_answered),
                "affected_units": str(self.affected_units),
                "units_found": str(self.units_found), "units_returned": str(self.units_returned)}


def effectiveness(recipients: Sequence[RecipientState]) -> Effectiveness:
    return Effectiveness(
        len(recipients), sum(1 for r in recipients if r.delivered_at is not None),
        sum(1 for r in recipients if r.responded_at is not None),
        decimal_total(r.affected_units for r in recipients),
        decimal_total(r.units_found for r in recipients),
        decimal_total(r.units_returned for r in recipients),
        tuple(r.partner for r in recipients if r.responded_at is None))


def decimal_total(values: Iterable[str | None]) -> Decimal:
    """The sum of decimal texts as stored, skipping blanks and anything not a number."""
    total = Decimal(0)
    for value in values:
        try:
            total += Decimal(value) if value else 0
        except InvalidOperation:
            continue
    return total
