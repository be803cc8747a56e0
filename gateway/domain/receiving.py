"""The receiving schedule: what each return centre should expect at its dock, day by day.

A return centre is a dock that takes returns in. Partners name it as the ship-to of their
documents (856 N1*ST, else 180 N1*ST, else the 214's consignee); config.yaml's
``return_centres`` maps those identifiers (N103:N104, or N104 alone) to named centres
(`ReturnCentre`). A ship-to no centre claims is still scheduled, under its raw identifier, and
said not to be a configured centre: goods arrive whether or not anyone configured the dock.

The expected day of a shipment (`expected_estimate`)
    The latest estimate by the time it was said: every estimate any 214 of the shipment gave
    (AT7 AG / X2 events, G62 17 / 70 / 78), ordered by when the 214 arrived, then by its
    place in the 214; the last one stands, so a later 214 that moves the estimate moves the
    shipment, even to an earlier day. With no 214 estimate, the 856's own DTM*017 / 067
    stands (the shipper's guess is older than any carrier's); with none at all, the shipment
    has no expected day and is listed under "no estimate", never dropped.
    A moment is taken as a day in the centre's time zone; a date without a time, or any
    date at a centre with no zone configured, is the day as the partner wrote it.

Late
    A shipment is late when its expected day is before today (in the centre's zone, from an
    injected clock) and it has not arrived: its cases are still below DELIVERED on the main
    path (`MAIN_PATH_RANK`) and no delivery or receipt is on record. Arrived shipments stay on
    their expected day, with their status. A late shipment expected before the window is
    listed as overdue (the dock wants to chase those most); one that arrived before it is
    history and left out.

Authorized, not shipped
    Authorized returns with no shipment yet are listed per centre with their authorized
    units: what may still come, on no day.

Pure: standard library only; every fact, the centres and "now" are arguments.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal

from gateway.domain.return_case import MAIN_PATH_RANK
from gateway.model.states import CaseState

# 214 G62 (X12 432) qualifiers that say when the goods will be delivered.
G62_ESTIMATES = {"17": "estimated delivery", "70": "scheduled delivery",
                 "78": "delivery appointment scheduled"}
G62_DELIVERED = "35"  # delivered on this date
# 856 DTM (X12 374) qualifiers that say when the goods will be delivered.
DTM_ESTIMATES = {"017": "estimated delivery", "067": "current schedule delivery"}
ARRIVED_RANK = MAIN_PATH_RANK[CaseState.DELIVERED]
NO_SHIP_TO = "(no ship-to)"


# --- centres and ship-tos ---------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class ShipToId:
    """One identifier a centre answers to: N104, with the N103 qualifier it must come with
    (None: any qualifier)."""

    value: str
    qualifier: str | None = None

    @classmethod
    def parse(cls, text: str) -> ShipToId:
        """``92:RC01`` (N103:N104) or ``RC01`` (N104 with any qualifier)."""
        qualifier, colon, value = text.strip().partition(":")
        return cls(value.strip(), qualifier.strip()) if colon else cls(qualifier)

    def matches(self, qualifier: str, value: str) -> bool:
        return value.strip() == self.value and (self.qualifier is None
                                                or qualifier.strip() == self.qualifier)

    def overlaps(self, other: ShipToId) -> bool:
        """Whether one ship-to could match both (RC01 and 92:RC01 do)."""
        return self.value == other.value and (self.qualifier is None or other.qualifier is None
                                              or self.qualifier == other.qualifier)

    def __str__(self) -> str:
        return f"{self.qualifier}:{self.value}" if self.qualifier else self.value


@dataclass(frozen=True, slots=True)
class ReturnCentre:
    centre_id: str  # as config.yaml names it: RC01
    name: str
    ship_to: tuple[ShipToId, ...]
    zone: tzinfo | None = None  # None: days as the partners wrote them
    zone_name: str | None = None  # America/New_York


@dataclass(frozen=True, slots=True)
class Destination:
    """The ship-to as a document names it (N102, and N103 / N104 pairs)."""

    name: str | None = None
    identifiers: tuple[tuple[str, str], ...] = ()  # (qualifier, value)

    @property
    def raw_id(self) -> str:
        """What an unconfigured centre is called: its first identifier, else its name."""
        if self.identifiers:
            qualifier, value = self.identifiers[0]
            return f"{qualifier}:{value}" if qualifier else value
        return self.name or NO_SHIP_TO


@dataclass(frozen=True, slots=True)
class Dock:
    """A centre as the schedule shows it: a configured one, or a raw ship-to."""

    centre_id: str
    name: str
    configured: bool
    zone: tzinfo | None = None
    zone_name: str | None = None


def dock_of(centres: Sequence[ReturnCentre], destination: Destination) -> Dock:
    """The configured centre one of ``destination``'s identifiers names, else the raw
    ship-to (module doc)."""
    for centre in centres:
        if any(wanted.matches(qualifier, value) for wanted in centre.ship_to
               for qualifier, value in destination.identifiers):
            return _configured(centre)
    return Dock(destination.raw_id, destination.name or destination.raw_id, False)


def _configured(centre: ReturnCentre) -> Dock:
    return Dock(centre.centre_id, centre.name, True, centre.zone, centre.zone_name)


# --- what the documents said ------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Said:
    """A date a document gave, with the moment when it gave a time too (timezone-aware)."""

    on: date
    at: datetime | None = None

    def day(self, zone: tzinfo | None) -> date:
        """The day in ``zone``; a date alone, or with no zone, is the day as written."""
        if self.at is None:
            return self.on
        return (self.at.astimezone(zone) if zone is not None else self.at).date()


@dataclass(frozen=True, slots=True)
class Estimate:
    """One estimate of the delivery, and when it was said (the arrival of its document; then
    the stored document's id and the estimate's place in it, to order ties)."""

    said: Said
    source: str  # "214 AT7*AG", "214 G62*17", "856 DTM*017"
    document: str  # "214 0771001234 [000000106/106/0001]"
    said_at: datetime
    order: tuple[int, int] = (0, 0)

    @property
    def said_order(self) -> tuple[datetime, int, int]:
        return (self.said_at, *self.order)


@dataclass(frozen=True, slots=True)
class InboundShipment:
    """One return shipment on its way to a centre, as its documents and cases tell it."""

    key: str  # unique in a schedule: the shipper and its BSN02, or the case shipped without one
    shipment_id: str | None  # BSN02; None: shipped with no ship notice (a 180 notification,
    # or a carrier's pickup) yet
    partner: str  # who shipped it (the 856's partner, else the case's)
    destination: Destination
    status: CaseState  # the least advanced of its cases
    rmas: tuple[str, ...] = ()
    case_ids: tuple[str, ...] = ()
    scac: str | None = None
    pro_number: str | None = None
    bill_of_lading: str | None = None
    cartons: int = 0
    pallets: int = 0
    units: Decimal = Decimal(0)
    shipped_on: date | None = None
    carrier_estimates: tuple[Estimate, ...] = ()  # from its 214s, in any order
    notice_estimates: tuple[Estimate, ...] = ()  # from its 856, in any order
    arrived_at: datetime | None = None  # the first delivery or receipt on record
    exception: str | None = None  # the latest open exception (a 214 delay, a refused delivery)


@dataclass(frozen=True, slots=True)
class AuthorizedReturn:
    """A return authorized to come to a centre, with no shipment yet."""

    case_id: str
    partner: str
    destination: Destination
    status: CaseState  # authorized or partially-authorized
    rmas: tuple[str, ...] = ()
    lines: int = 0
    units: Decimal = Decimal(0)
    authorized_at: datetime | None = None
    expires_on: date | None = None  # 180 DTM*036


def expected_estimate(shipment: InboundShipment) -> Estimate | None:
    """The estimate that stands (module doc): the last said by a 214, else by the 856."""
    for estimates in (shipment.carrier_estimates, shipment.notice_estimates):
        if estimates:
            return max(estimates, key=lambda estimate: estimate.said_order)
    return None


def has_arrived(shipment: InboundShipment) -> bool:
    return (shipment.arrived_at is not None
            or MAIN_PATH_RANK.get(shipment.status, 0) >= ARRIVED_RANK)


# --- the schedule -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Window:
    """The days a schedule shows, both included."""

    first: date
    last: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last


@dataclass(frozen=True, slots=True)
class ScheduledShipment:
    shipment: InboundShipment
    estimate: Estimate | None
    expected_day: date | None
    previous_day: date | None  # the day the estimate before it said, when that differs
    late: bool = False
    days_late: int = 0
    arrived: bool = False


@dataclass(slots=True)
class Totals:
    shipments: int = 0
    cartons: int = 0
    pallets: int = 0
    units: Decimal = Decimal(0)
    late: int = 0

    def add(self, scheduled: ScheduledShipment) -> None:
        self.shipments += 1
        self.cartons += scheduled.shipment.cartons
        self.pallets += scheduled.shipment.pallets
        self.units += scheduled.shipment.units
        self.late += scheduled.late


def totals_of(shipments: Iterable[ScheduledShipment]) -> Totals:
    totals = Totals()
    for scheduled in shipments:
        totals.add(scheduled)
    return totals


@dataclass(frozen=True, slots=True)
class ScheduleDay:
    day: date
    shipments: tuple[ScheduledShipment, ...]
    totals: Totals


@dataclass(frozen=True, slots=True)
class CentreSchedule:
    dock: Dock
    today: date
    days: tuple[ScheduleDay, ...] = ()  # only days with shipments, in order
    overdue: tuple[ScheduledShipment, ...] = ()  # late, expected before the window
    no_estimate: tuple[ScheduledShipment, ...] = ()
    authorized: tuple[AuthorizedReturn, ...] = ()
    totals: Totals = field(default_factory=Totals)  # days, overdue and no estimate together

    @property
    def authorized_units(self) -> Decimal:
        return sum((item.units for item in self.authorized), Decimal(0))

    def every_shipment(self) -> tuple[ScheduledShipment, ...]:
        return (*self.overdue, *(s for day in self.days for s in day.shipments),
                *self.no_estimate)


def schedule_shipment(shipment: InboundShipment, zone: tzinfo | None,
                      today: date) -> ScheduledShipment:
    """``shipment`` with its expected day, the day before it moved, and whether it is late."""
    estimate = expected_estimate(shipment)
    day = estimate.said.day(zone) if estimate is not None else None
    arrived = has_arrived(shipment)
    late = day is not None and day < today and not arrived
    return ScheduledShipment(shipment, estimate, day, _previous_day(shipment, estimate, zone),
                             late, (today - day).days if late and day else 0, arrived)


def _previous_day(shipment: InboundShipment, estimate: Estimate | None,
                  zone: tzinfo | None) -> date | None:
    """The day the estimate said before the one that stands, when it said another day."""
    if estimate is None:
        return None
    earlier = [e for e in (*shipment.carrier_estimates, *shipment.notice_estimates)
               if e.said_order < estimate.said_order]
    if not earlier:
        return None
    day = max(earlier, key=lambda e: e.said_order).said.day(zone)
    return day if day != estimate.said.day(zone) else None


def receiving_schedule(centres: Sequence[ReturnCentre], shipments: Iterable[InboundShipment],
                       authorized: Iterable[AuthorizedReturn], window: Window,
                       now: datetime, *, only: str | None = None) -> tuple[CentreSchedule, ...]:
    """Every configured centre (empty ones too), then every raw ship-to something is on its
    way to, each with its schedule over ``window`` as of ``now``; ``only``: the one centre
    of that id (any case)."""
    placed: dict[str, _Builder] = {}

    def builder(dock: Dock) -> _Builder:
        return placed.setdefault(dock.centre_id, _Builder(dock, _today(dock, now)))

    for centre in centres:
        builder(_configured(centre))
    for shipment in shipments:
        builder(dock_of(centres, shipment.destination)).place(shipment, window)
    for item in authorized:
        builder(dock_of(centres, item.destination)).authorized.append(item)
    configured = {centre.centre_id for centre in centres}
    ordered = [*(placed[c.centre_id] for c in centres),
               *sorted((b for key, b in placed.items() if key not in configured),
                       key=lambda b: b.dock.centre_id)]
    wanted = only.strip().casefold() if only is not None else None
    return tuple(b.built() for b in ordered
                 if wanted is None or b.dock.centre_id.casefold() == wanted)


def _today(dock: Dock, now: datetime) -> date:
    return (now.astimezone(dock.zone) if dock.zone is not None else now).date()


@dataclass
class _Builder:
    dock: Dock
    today: date
    by_day: dict[date, list[ScheduledShipment]] = field(default_factory=dict)
    overdue: list[ScheduledShipment] = field(default_factory=list)
    no_estimate: list[ScheduledShipment] = field(default_factory=list)
    authorized: list[AuthorizedReturn] = field(default_factory=list)

    def place(self, shipment: InboundShipment, window: Window) -> None:
        scheduled = schedule_shipment(shipment, self.dock.zone, self.today)
        day = scheduled.expected_day
        if day is None:
            if not scheduled.arrived or _arrival_day(scheduled, self.dock) in window:
                self.no_estimate.append(scheduled)  # an arrival outside it is history
        elif day in window:
            self.by_day.setdefault(day, []).append(scheduled)
        elif day < window.first and scheduled.late:
            self.overdue.append(scheduled)

    def built(self) -> CentreSchedule:
        days = tuple(ScheduleDay(day, _ordered(found), totals_of(found))
                     for day, found in sorted(self.by_day.items()))
        overdue = tuple(sorted(self.overdue, key=lambda s: (-s.days_late, s.shipment.key)))
        listed = [*self.overdue, *(s for found in self.by_day.values() for s in found),
                  *self.no_estimate]
        return CentreSchedule(self.dock, self.today, days, overdue, _ordered(self.no_estimate),
                              tuple(sorted(self.authorized, key=_authorized_order)),
                              totals_of(listed))


def _arrival_day(scheduled: ScheduledShipment, dock: Dock) -> date | None:
    arrived_at = scheduled.shipment.arrived_at
    if arrived_at is None:
        return None
    return (arrived_at.astimezone(dock.zone) if dock.zone is not None else arrived_at).date()


def _ordered(shipments: list[ScheduledShipment]) -> tuple[ScheduledShipment, ...]:
    """Late first (the dock chases those), then by shipment id."""
    return tuple(sorted(shipments, key=lambda s: (not s.late, s.shipment.shipment_id or "",
                                                  s.shipment.key)))


def _authorized_order(item: AuthorizedReturn) -> tuple[str, str]:
    return (item.authorized_at.isoformat() if item.authorized_at else "", item.case_id)


DAYS_BACK = 7  # a schedule asked for no days starts a week ago (what should have come)
DAYS_AFTER = 28  # and ends four weeks after its first day: three weeks ahead by default


def window_between(first: date | None, last: date | None, today: date) -> Window:
    """The days asked for, with the defaults: ``first`` DAYS_AFTER before ``last`` when only
    ``last`` is given, else DAYS_BACK before ``today``; ``last`` DAYS_AFTER after ``first``.
    A ``last`` before ``first`` holds no day (a face that takes it for a typo says so)."""
    if first is None:
        first = _moved(last, -DAYS_AFTER) if last is not None else _moved(today, -DAYS_BACK)
    return Window(first, last if last is not None else _moved(first, DAYS_AFTER))


def _moved(day: date, days: int) -> date:
    """``day`` moved by ``days``, stopping at the first or last day a date can be."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min
