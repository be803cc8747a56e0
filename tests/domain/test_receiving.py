"""The receiving schedule (gateway.domain.receiving): which day a shipment is expected on, when
it is late, and how a centre's days add up."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from gateway.domain.receiving import (
    AuthorizedReturn,
    CentreSchedule,
    Destination,
    Estimate,
    InboundShipment,
    ReturnCentre,
    Said,
    ShipToId,
    Window,
    dock_of,
    expected_estimate,
    receiving_schedule,
    schedule_shipment,
    window_between,
)
from gateway.model.states import CaseState

EASTERN = ZoneInfo("America/New_York")
RC01 = ReturnCentre("RC01", "Acme Appliance Returns Center",
                    (ShipToId("RC01", "92"), ShipToId("0614141000005", "UL")), EASTERN,
                    "America/New_York")
TO_RC01 = Destination("Acme Appliance Returns Center", (("92", "RC01"),))
NOW = datetime(2026, 1, 21, 15, 0, tzinfo=UTC)  # 10:00 in Louisville
TODAY = date(2026, 1, 21)
WINDOW = Window(date(2026, 1, 14), date(2026, 2, 11))


def said(day: date, *, hour: int | None = None) -> Said:
    return Said(day, datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
                if hour is not None else None)


def carrier(day: date, received: datetime, *, document: int = 1, position: int = 0,
            source: str = "214 AT7*AG") -> Estimate:
    return Estimate(said(day), source, "214 0771001234", received, (document, position))


def shipment(number: int = 1, *, estimates: tuple[Estimate, ...] = (),
             notice: tuple[Estimate, ...] = (), status: CaseState = CaseState.IN_TRANSIT,
             destination: Destination = TO_RC01, cartons: int = 2,
             units: str = "3", arrived_at: datetime | None = None) -> InboundShipment:
    return InboundShipment(
        key=f"northwind/ASN{number:03d}", shipment_id=f"ASN{number:03d}", partner="northwind",
        destination=destination, status=status, rmas=(f"RMA{number:03d}",),
        case_ids=(f"180:RR{number:03d}",), scac="ODFL", pro_number=f"PRO{number}",
        cartons=cartons, units=Decimal(units), carrier_estimates=estimates,
        notice_estimates=notice, arrived_at=arrived_at)


def one_centre(*shipments: InboundShipment, now: datetime = NOW) -> CentreSchedule:
    [schedule] = receiving_schedule((RC01,), shipments, (), WINDOW, now)
    return schedule


# --- the expected day ------------------------------------------------------------------------
def test_the_latest_estimate_by_the_time_it_was_said_stands_even_an_earlier_day() -> None:
    first = carrier(date(2026, 1, 23), NOW - timedelta(hours=5), document=1)
    moved_later = carrier(date(2026, 1, 26), NOW - timedelta(hours=3), document=2)
    moved_back = carrier(date(2026, 1, 22), NOW - timedelta(hours=1), document=3)
    # In any order: what counts is when each was said, not the day it names.
    found = expected_estimate(shipment(estimates=(moved_back, first, moved_later)))
    assert found is moved_back
    scheduled = schedule_shipment(shipment(estimates=(moved_later, moved_back, first)),
                                  EASTERN, TODAY)
    assert (scheduled.expected_day, scheduled.previous_day) == (date(2026, 1, 22),
                                                                date(2026, 1, 26))


def test_within_one_214_the_later_estimate_stands_and_ties_go_to_the_later_document() -> None:
    at = NOW - timedelta(hours=2)
    g62 = carrier(date(2026, 1, 24), at, document=7, position=0, source="214 G62*17")
    at7 = carrier(date(2026, 1, 25), at, document=7, position=1)
    assert expected_estimate(shipment(estimates=(at7, g62))) is at7
    same_moment_other_file = carrier(date(2026, 1, 27), at, document=8, position=0)
    assert expected_estimate(shipment(estimates=(same_moment_other_file, at7))) \
        is same_moment_other_file


def test_any_214_estimate_outranks_the_856s_own_even_a_later_856() -> None:
    dtm = Estimate(said(date(2026, 1, 30)), "856 DTM*017", "856 ASN001", NOW, (9, 0))
    at7 = carrier(date(2026, 1, 22), NOW - timedelta(days=1))
    assert expected_estimate(shipment(estimates=(at7,), notice=(dtm,))) is at7
    alone = schedule_shipment(shipment(notice=(dtm,)), EASTERN, TODAY)
    assert (alone.expected_day, alone.estimate) == (date(2026, 1, 30), dtm)
    assert schedule_shipment(shipment(), EASTERN, TODAY).expected_day is None


def test_an_estimated_moment_is_a_day_at_the_centre_and_a_bare_date_as_written() -> None:
    late_evening = Said(date(2026, 1, 23), datetime(2026, 1, 23, 3, 30, tzinfo=UTC))
    assert late_evening.day(EASTERN) == date(2026, 1, 22)  # 22:30 the evening before
    assert late_evening.day(None) == date(2026, 1, 23)  # no zone: as the carrier wrote it
    assert Said(date(2026, 1, 23)).day(EASTERN) == date(2026, 1, 23)


def test_an_estimate_that_names_the_same_day_again_is_not_a_move() -> None:
    again = (carrier(date(2026, 1, 23), NOW - timedelta(hours=2), document=1),
             carrier(date(2026, 1, 23), NOW - timedelta(hours=1), document=2))
    assert schedule_shipment(shipment(estimates=again), EASTERN, TODAY).previous_day is None


# --- late --------------------------------------------------------------------------------------
def test_late_is_an_expected_day_before_today_without_a_delivery() -> None:
    yesterday = (carrier(date(2026, 1, 20), NOW - timedelta(days=2)),)
    scheduled = schedule_shipment(shipment(estimates=yesterday), EASTERN, TODAY)
    assert (scheduled.late, scheduled.days_late) == (True, 1)
    for status in (CaseState.DELIVERED, CaseState.RECEIVED, CaseState.CLOSED):
        assert not schedule_shipment(shipment(estimates=yesterday, status=status), EASTERN,
                                     TODAY).late, status
    arrived = shipment(estimates=yesterday, arrived_at=NOW - timedelta(days=1))
    assert not schedule_shipment(arrived, EASTERN, TODAY).late  # a delivery on record
    today = (carrier(TODAY, NOW - timedelta(days=2)),)
    assert not schedule_shipment(shipment(estimates=today), EASTERN, TODAY).late


def test_today_is_the_centres_day_by_the_injected_clock() -> None:
    due = (carrier(date(2026, 1, 21), NOW - timedelta(days=2)),)
    # 02:00 UTC on the 22nd is still the evening of the 21st in Louisville: not late yet.
    evening = datetime(2026, 1, 22, 2, 0, tzinfo=UTC)
    schedule = one_centre(shipment(estimates=due), now=evening)
    assert schedule.today == date(2026, 1, 21) and schedule.totals.late == 0
    morning = datetime(2026, 1, 22, 6, 0, tzinfo=UTC)
    assert one_centre(shipment(estimates=due), now=morning).totals.late == 1


# --- the schedule ------------------------------------------------------------------------------
def test_several_shipments_a_day_add_up_and_late_ones_come_first() -> None:
    on_22 = carrier(date(2026, 1, 22), NOW - timedelta(days=1))
    on_20 = carrier(date(2026, 1, 20), NOW - timedelta(days=3))
    schedule = one_centre(shipment(1, estimates=(on_22,), cartons=2, units="3"),
                          shipment(2, estimates=(on_22,), cartons=5, units="12.5"),
                          shipment(3, estimates=(on_20,), cartons=1, units="1"),
                          shipment(4, estimates=(on_20,), status=CaseState.DELIVERED,
                                   cartons=4, units="4"))
    assert [day.day for day in schedule.days] == [date(2026, 1, 20), date(2026, 1, 22)]
    on_the_20th, on_the_22nd = schedule.days
    assert [s.shipment.shipment_id for s in on_the_20th.shipments] == ["ASN003", "ASN004"]
    assert (on_the_20th.totals.shipments, on_the_20th.totals.cartons,
            on_the_20th.totals.units, on_the_20th.totals.late) == (2, 5, Decimal(5), 1)
    assert (on_the_22nd.totals.shipments, on_the_22nd.totals.cartons,
            on_the_22nd.totals.units) == (2, 7, Decimal("15.5"))
    assert (schedule.totals.shipments, schedule.totals.cartons, schedule.totals.units,
            schedule.totals.late) == (4, 12, Decimal("20.5"), 1)


def test_a_shipment_with_no_estimate_is_listed_never_dropped() -> None:
    schedule = one_centre(shipment(1), shipment(2, estimates=(
        carrier(date(2026, 1, 22), NOW),)))
    assert [s.shipment.shipment_id for s in schedule.no_estimate] == ["ASN001"]
    assert schedule.totals.shipments == 2 and schedule.no_estimate[0].expected_day is None
    # Once it arrived, it is listed while its arrival is within the days shown.
    arrived = shipment(1, status=CaseState.DELIVERED, arrived_at=NOW)
    assert one_centre(arrived).no_estimate[0].arrived
    long_ago = shipment(1, status=CaseState.DELIVERED, arrived_at=NOW - timedelta(days=60))
    assert one_centre(long_ago).no_estimate == ()


def test_late_shipments_from_before_the_window_are_overdue_and_arrived_ones_history() -> None:
    weeks_ago = (carrier(date(2026, 1, 2), NOW - timedelta(days=25)),)
    schedule = one_centre(shipment(1, estimates=weeks_ago),
                          shipment(2, estimates=weeks_ago, status=CaseState.RECEIVED),
                          shipment(3, estimates=(carrier(date(2026, 3, 1), NOW),)))
    assert [(s.shipment.shipment_id, s.days_late) for s in schedule.overdue] == [("ASN001", 19)]
    assert schedule.days == () and schedule.totals.shipments == 1  # ASN003: after the window


def test_a_ship_to_no_centre_claims_is_scheduled_under_its_raw_id() -> None:
    elsewhere = Destination("Overflow dock", (("92", "RC09"),))
    nameless = Destination()
    schedules = receiving_schedule((RC01,), [shipment(1), shipment(2, destination=elsewhere),
                                             shipment(3, destination=nameless)], (), WINDOW,
                                   NOW)
    assert [(s.dock.centre_id, s.dock.name, s.dock.configured) for s in schedules] == [
        ("RC01", "Acme Appliance Returns Center", True), ("(no ship-to)", "(no ship-to)", False),
        ("92:RC09", "Overflow dock", False)]
    assert [s.totals.shipments for s in schedules] == [1, 1, 1]
    # An unconfigured dock has no zone: its days are as the partners wrote them.
    assert schedules[2].dock.zone is None


def test_a_configured_centre_with_nothing_coming_is_still_listed_and_one_can_be_picked() -> None:
    west = ReturnCentre("RC02", "West", (ShipToId("RC02"),))
    schedules = receiving_schedule((RC01, west), [shipment(1)], (), WINDOW, NOW)
    assert [(s.dock.centre_id, s.totals.shipments) for s in schedules] == [("RC01", 1),
                                                                           ("RC02", 0)]
    only = receiving_schedule((RC01, west), [shipment(1)], (), WINDOW, NOW, only=" rc02 ")
    assert [s.dock.centre_id for s in only] == ["RC02"]
    assert receiving_schedule((RC01,), [], (), WINDOW, NOW, only="RC77") == ()


def test_authorized_returns_wait_at_their_centre_on_no_day() -> None:
    waiting = AuthorizedReturn("180:RR9", "northwind", TO_RC01, CaseState.AUTHORIZED,
                               ("RMA9",), 2, Decimal(5), NOW - timedelta(days=1),
                               date(2026, 2, 20))
    other = replace(waiting, case_id="180:RR8", units=Decimal(1),
                    destination=Destination(None, (("ZZ", "DOCK7"),)))
    schedules = receiving_schedule((RC01,), [], [waiting, other], WINDOW, NOW)
    assert [(s.dock.centre_id, [a.case_id for a in s.authorized], s.authorized_units)
            for s in schedules] == [("RC01", ["180:RR9"], Decimal(5)),
                                    ("ZZ:DOCK7", ["180:RR8"], Decimal(1))]
    assert schedules[0].totals.shipments == 0  # not a shipment yet


# --- centres and windows -----------------------------------------------------------------------
def test_a_ship_to_id_matches_with_its_qualifier_or_any_when_none_is_given() -> None:
    assert ShipToId.parse(" 92:RC01 ") == ShipToId("RC01", "92")
    assert ShipToId.parse("RC01") == ShipToId("RC01")
    assert ShipToId("RC01", "92").matches("92", " RC01")
    assert not ShipToId("RC01", "92").matches("UL", "RC01")
    assert ShipToId("RC01").matches("UL", "RC01")
    assert ShipToId("RC01").overlaps(ShipToId("RC01", "92"))
    assert not ShipToId("RC01", "91").overlaps(ShipToId("RC01", "92"))
    assert dock_of((RC01,), Destination("x", (("1", "RC01"), ("UL", "0614141000005")))
                   ).centre_id == "RC01"  # any of its identifiers
    assert not dock_of((RC01,), Destination("x", (("1", "RC01"),))).configured


def test_the_window_defaults_to_a_week_back_and_four_weeks_on() -> None:
    assert window_between(None, None, TODAY) == Window(date(2026, 1, 14), date(2026, 2, 11))
    assert window_between(date(2026, 3, 1), None, TODAY) == Window(date(2026, 3, 1),
                                                                    date(2026, 3, 29))
    assert window_between(None, date(2026, 1, 14), TODAY) == Window(date(2025, 12, 17),
                                                                     date(2026, 1, 14))
    assert window_between(date(9999, 12, 30), None, TODAY).last == date.max
    assert window_between(None, date(1, 1, 5), TODAY).first == date.min
    backwards = window_between(date(2026, 2, 1), date(2026, 1, 31), TODAY)
    assert date(2026, 2, 1) not in backwards and date(2026, 1, 31) not in backwards
    schedule = receiving_schedule((RC01,), [shipment(estimates=(carrier(date(2026, 2, 1),
                                                                        NOW),))], (),
                                  backwards, NOW)
    assert schedule[0].days == () and schedule[0].totals.shipments == 0
