"""The files the demo's partners send: the project's samples, dated as if sent these days.

The sample return story (samples/README.md) is dated January 2026; a case is derived from its
documents' own times, so each file is moved to now: the request two days ago, then every later
document at a moment handed out by `StoryClock`, strictly after everything before it, the
gateway's own answers included. Times carry seconds and the UT zone code, so the whole story
fits in the few seconds the demo runs and its timeline still reads in order.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from importlib import resources
from pathlib import Path
from string import Template
from zoneinfo import ZoneInfo

from gateway.recall import RecallResponse, ResponseStatus, build_recall_response
from gateway.recall.parse import local_name, read_document

RMA = "RMA7734021"  # the sample story's RMA, sent by Northwind in BGN06 (its mapping)
RECALL_NOTICE = "26-031"
RETAILER_ISA = ("01", "614832907")


class StoryClock:
    """Moments for the partners' documents: whole seconds, each later than the previous one
    and than the moment it is asked for (so later than anything the gateway already did)."""

    def __init__(self) -> None:
        self.last = datetime.now(UTC).replace(microsecond=0)

    def next(self) -> datetime:
        now = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
        self.last = max(now, self.last + timedelta(seconds=1))
        return self.last

    def wait_past_last(self) -> None:
        """Sleep until the latest moment handed out is in the past (at most a few seconds):
        what the gateway does next is then dated after it."""
        ahead = (self.last - datetime.now(UTC)).total_seconds()
        if ahead > -0.01:
            time.sleep(ahead + 0.01)


def _dates(text: str, old: str, day: datetime) -> str:
    """Every '20YYMMDD' and 'YYMMDD' spelling of the sample's ``old`` day moved to ``day``."""
    return text.replace(old, f"{day:%Y%m%d}").replace(old[2:], f"{day:%y%m%d}")


def request_day() -> datetime:
    """The retailer made its requests two days ago (its own time zone)."""
    return datetime.now(ZoneInfo("America/New_York")) - timedelta(days=2)


def request_id(day: datetime, number: int) -> str:
    return f"RR{day:%Y%m%d}{number:03d}"


def return_request(samples: Path, day: datetime) -> bytes:
    """samples/valid/180-return-request-004010.x12: a stand mixer (defective) and a kettle
    (damaged) under RMA7734021, which Northwind sends in BGN06."""
    text = _dates((samples / "valid/180-return-request-004010.x12").read_text(), "20260114",
                  day)
    text, found = re.subn(r"(BGN\*00\*RR\d+\*\d{8}\*0915)~", rf"\1**{RMA}~", text)
    assert found == 1, "the sample request changed: its BGN is not where the demo expects"
    return text.encode()


def second_request(day: datetime) -> bytes:
    """A kettle 'not as expected': Northwind's policy leaves it for a person."""
    return _file("180-return-request-kettle.x12").substitute(
        isa_date=f"{day:%y%m%d}", date=f"{day:%Y%m%d}", request=request_id(day, 2)).encode()


def vendor_authorization(day: datetime, at: datetime) -> bytes:
    """Acme's own 180 authorizing both lines of RMA7734021 (derived from
    samples/valid/180-authorization-005010.x12, which denies the kettle), made at ``at``."""
    local = at.astimezone(ZoneInfo("America/Chicago"))
    return _file("180-vendor-authorization.x12").substitute(
        isa_date=f"{local:%y%m%d}", isa_time=f"{local:%H%M}", date=f"{at:%Y%m%d}",
        time=f"{at:%H%M%S}", expires=f"{at + timedelta(days=30):%Y%m%d}",
        request=request_id(day, 1)).encode()


def broken_ship_notice(samples: Path) -> bytes:
    """samples/defects/dtm-invalid-date.x12: the 856 shipped on February 31st."""
    return (samples / "defects/dtm-invalid-date.x12").read_bytes()


def ship_notice(samples: Path, at: datetime) -> bytes:
    """samples/valid/856-pick-pack-004010.x12, shipped at ``at`` (DTM*011 with a UT time)."""
    text = _dates((samples / "valid/856-pick-pack-004010.x12").read_text(), "20260120", at)
    text, found = re.subn(r"DTM\*011\*(\d{8})~", rf"DTM*011*\1*{at:%H%M%S}*UT~", text)
    assert found == 1, "the sample 856 changed: its DTM*011 is not where the demo expects"
    return text.encode()


def carrier_status(samples: Path, moments: list[datetime]) -> bytes:
    """samples/valid/214-status-004010.x12 with the carrier's estimate added: picked up,
    departed, en route, estimated delivery (AT7*AG, its date the moment the carrier expects
    to deliver: the receiving schedule puts the shipment on that day), delivered; each at
    one of the five ``moments`` (UT)."""
    text = (samples / "valid/214-status-004010.x12").read_text()
    # The estimate is a status detail of its own before the delivery's (LX*4 becomes LX*5),
    # dated below with the others; its three segments make the set's count 28.
    text, added = re.subn(r"\bLX\*4~(\s*)", r"LX*4~\1AT7*AG*NS***20260121*1000*ET~\1"
                          r"MS1*Louisville*KY*US~\1LX*5~\1", text)
    text, counted = re.subn(r"\bSE\*25\*", "SE*28*", text)
    assert added == counted == 1, "the sample 214 changed: its LX*4 or SE is not as expected"
    text = _dates(_dates(text, "20260121", moments[-1]), "20260120", moments[-1])
    events = iter(moments)

    def dated(match: re.Match[str]) -> str:
        at = next(events)
        return f"AT7*{match.group(1)}*NS***{at:%Y%m%d}*{at:%H%M%S}*UT~"

    text, found = re.subn(r"AT7\*(\w\w)\*NS\*\*\*\d{8}\*\d{4}\*ET~", dated, text)
    assert found == len(moments), "the sample 214 changed: the demo expects 5 AT7 events"
    return text.encode()


def recall_notice(samples: Path) -> bytes:
    """samples/recall/valid-stand-mixer-serials.xml: recall 26-031 of the stand mixer, serials
    SMX22A0017700 to SMX22A0017799 (the returned SMX22A0017734 is one of them)."""
    return (samples / "recall/valid-stand-mixer-serials.xml").read_bytes()


def functional_ack(answer: bytes, control: int, now: datetime) -> bytes:
    """The retailer's 997 accepting the group of ``answer`` (one of our 180s)."""
    segments = answer.decode("latin-1").split("~")
    isa = segments[0].split("*")
    gs = next(s for s in segments if s.startswith("GS*")).split("*")
    body = ["ST*997*0001", f"AK1*AN*{gs[6]}", "AK2*180*0001", "AK5*A", "AK9*A*1*1*1"]
    body.append(f"SE*{len(body) + 1}*0001")
    ours = (isa[5].strip(), isa[6].strip())  # the answer's sender: us
    header = (f"ISA*00*{'':10}*00*{'':10}*{RETAILER_ISA[0]}*{RETAILER_ISA[1]:<15}*{ours[0]}*"
              f"{ours[1]:<15}*{now:%y%m%d}*{now:%H%M}*U*00401*{control:09d}*0*P*>")
    return ("~".join([header, f"GS*FA*NORTHWINDHS*{gs[2]}*{now:%Y%m%d}*{now:%H%M}*{control}*X"
                      "*004010", *body, f"GE*1*{control}", f"IEA*1*{control:09d}"])
            + "~").encode()


def notification_fields(notification: bytes) -> dict[str, str]:
    """NotificationId, NoticeId and the affected serials of one of our recall notifications,
    read with the gateway's hardened XML reader (no DTD, no entities, no network)."""
    root = read_document(notification, max_bytes=len(notification) + 1).root
    if root is None:
        raise ValueError("the recall notification is not readable XML")

    def texts(name: str) -> list[str]:
        return [str(e.text).strip() for e in root.iter() if local_name(e) == name and e.text]

    return {"notification": texts("NotificationId")[0], "notice": texts("NoticeId")[0],
            "serials": " ".join(texts("Serial"))}


def recall_response(notification: bytes, at: datetime) -> bytes:
    """Northwind's answer: the one affected unit it holds is in the return already on its way
    back under RMA7734021."""
    fields = notification_fields(notification)
    return build_recall_response(RecallResponse(
        notification_id=fields["notification"], notice_id=fields["notice"],
        responder="northwind", responded_at=at, status=ResponseStatus.COMPLETE,
        units_found=Decimal(1), units_returned=Decimal(1),
        note=f"Found in return {RMA} and sent back with it "
             f"(serials {fields['serials'] or 'as listed'})."))


def receiving_advice(samples: Path, shipped: datetime, at: datetime) -> bytes:
    """samples/valid/861-receiving-advice-005010.x12 from Acme's return centre RC01 for the
    shipment that left at ``shipped`` (its REF*SI is the 856's BSN02, which holds that day),
    received at ``at`` (DTM*050 with a UT time): both mixers in (one damaged), the kettle short."""
    text = (samples / "valid/861-receiving-advice-005010.x12").read_text()
    text = _dates(_dates(text, "20260120", shipped), "20260121", at)
    text, found = re.subn(r"DTM\*050\*(\d{8})\*\d{4}\*ET~", rf"DTM*050*\1*{at:%H%M%S}*UT~",
                          text)
    assert found == 1, "the sample 861 changed: its DTM*050 is not where the demo expects"
    return text.encode()


def _file(name: str) -> Template:
    return Template(resources.files("gateway.demo").joinpath("files", name).read_text())
