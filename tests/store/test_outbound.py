"""The outbound half on a real store: RMA answers, status updates, the acknowledgement loop,
recall notifications and responses; once each, whatever runs again (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest

from gateway.app.cases import cases_for
from gateway.app.ingest import IngestResult, ingest, replay
from gateway.app.outbound.decisions import operator_decide
from gateway.app.outbound.react import react
from gateway.app.outbound.terms import Outbound
from gateway.app.partners import PartnerSettings, StatusUpdates
from gateway.app.watchers import raise_overdue
from gateway.bootstrap import ingest_ports, outbound_context
from gateway.config.partners import read_partner
from gateway.domain.rma_policy import DecisionError, Verdict
from gateway.model.states import CaseState
from gateway.monitoring.alerts import Alerter
from gateway.recall import RecallResponse, ResponseStatus, build_recall_response
from gateway.store.repository import OutboundRow
from gateway.x12.assess import assess
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
COORDINATOR = """id: recalls-hub
name: Recall coordination hub
role: recall-coordinator
x12: {isa_qualifier: ZZ, isa_id: RECALLHUB, gs_id: RECALLHUB}
transport: {type: local, inbound: in, outbound: out}
schedule: {every: 60s}
"""


def story(name: str) -> bytes:
    """The samples of one return, dated around NOW: the request two days before, the 856
    and the carrier's 214 on the day; the request carries Northwind's RMA in BGN06."""
    text = (VALID / name).read_text()
    if name.startswith("180"):
        text = text.replace("20260114", "20261123").replace("260114", "261123")
        text = text.replace("*20261123*0915~", "*20261123*0915**RMA7734021~")
    else:
        for old in ("20260120", "20260121"):
            text = text.replace(old, "20261125")
        text = text.replace("260120", "261125").replace("260121", "261125")
        text = text.replace("*ET~", "*UT~")
    return text.encode()


# Acme, the vendor whose return centre sends 861s (`Gateway.add_vendor`).
VENDOR = ("id: acme\nname: Acme Appliance\nrole: vendor\n"
          "x12: {isa_qualifier: ZZ, isa_id: ACMEAPPLIANCE, gs_id: ACMEAPPLIANCE}\n"
          "transport: {type: local, inbound: in, outbound: out}\nschedule: {every: 60s}\n")


class Gateway:
    """A store, the repository's partners plus a recall coordinator, and the outbound side."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.store, self.config = migrated_store(database_url, tmp_path / "archive")
        (tmp_path / "recalls-hub.yaml").write_text(COORDINATOR)
        self.partners: dict[str, PartnerSettings] = {
            p: read_partner(REPO / "partners" / f"{p}.yaml") for p in ("northwind", "odfl")}
        self.partners["recalls-hub"] = read_partner(tmp_path / "recalls-hub.yaml")
        assert not any(p.problems for p in self.partners.values())
        self.outbound: Outbound = outbound_context(self.config, self.store, self.partners)

    def take(self, partner: str, data: bytes, name: str = "file",
             at: datetime = NOW) -> IngestResult:
        ports, settings = ingest_ports(self.config, self.store, self.partners[partner])
        result = ingest(data, name, partner, ports, settings, now=at)
        react(self.outbound, self.store.documents_of_file(result.file_id), at, result.file_id)
        return result

    def add_vendor(self, folder: Path) -> None:
        """Acme (VENDOR) as a partner too, its file written in ``folder``."""
        (folder / "acme.yaml").write_text(VENDOR)
        self.partners["acme"] = read_partner(folder / "acme.yaml")
        self.outbound = replace(self.outbound, parties={**self.outbound.parties,
                                                        "acme": self.partners["acme"]})

    def sent(self, partner: str = "northwind", purpose: str | None = None) -> list[OutboundRow]:
        rows = self.store.outbound(partner=partner, purposes=[purpose] if purpose else ())
        return sorted(rows, key=lambda r: r.id)


@pytest.fixture
def gateway(database_url: str, tmp_path: Path) -> Gateway:
    return Gateway(database_url, tmp_path)


def ack_997(group: str, code: str = "A", control: str = "000000777") -> bytes:
    body = [f"AK1*AN*{group}", "AK2*180*0001", f"AK5*{code}", f"AK9*{code}*1*1*{int(code == 'A')}"]
    segments = ["ST*997*0001", *body, f"SE*{len(body) + 2}*0001"]
    return ("ISA*00*          *00*          *01*614832907      *ZZ*RLGATEWAY      "
            f"*261125*1200*U*00401*{control}*0*P*>~GS*FA*NORTHWINDHS*RLGATEWAY*20261125*1200*"
            f"{int(control)}*X*004010~" + "~".join(segments) + f"~GE*1*{int(control)}~"
            f"IEA*1*{control}~").encode()


def test_a_request_is_answered_by_policy_and_the_case_is_told_once(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    [answer] = gateway.sent(purpose="rma-answer")
    text = answer.payload.decode("latin-1")
    assert assess(answer.payload).accepted, text
    assert "N9*RZ*RMA7734021" in text and text.count("RDR*RA") >= 2  # header and both lines
    assert answer.subject == "RR20261123001" and answer.ack_state == "expected"

    gateway.take("northwind", story("856-pick-pack-004010.x12"))
    gateway.take("odfl", story("214-status-004010.x12"))
    updates = gateway.sent(purpose="status-update")
    # Not "shipped": Northwind sent that 856 itself. Not "authorized": our answer said it.
    assert [u.payload.decode("latin-1").split("NTE**")[1].split("~")[0] for u in updates] == [
        "Return RMA7734021 in transit with the carrier",
        "Return RMA7734021 delivered to the return center"]
    assert all(assess(u.payload).accepted for u in updates)

    # Running every reaction again (a restart's catch-up) queues nothing new.
    everything = gateway.store.documents_since(NOW - timedelta(days=30))
    again = react(gateway.outbound, everything, NOW + timedelta(hours=1))
    assert again.updates == [] and [a for a in again.answers if a.queued] == []
    assert len([r for r in gateway.sent() if r.purpose != "acknowledgement"]) == 3
    [case] = cases_for(gateway.store, "RMA7734021").cases
    assert (case.state.value, case.decision and case.decision.value) == ("delivered",
                                                                         "authorized")


def test_control_numbers_of_our_documents_never_repeat(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    gateway.take("northwind", story("856-pick-pack-004010.x12"))
    gateway.take("odfl", story("214-status-004010.x12"))
    rows = gateway.store.outbound(partner="northwind")
    numbers = [r.control_number for r in rows]  # 997s and our own documents share ISA13s
    assert len(numbers) == len(set(numbers)) == 5


def test_the_partners_997_is_matched_and_a_missing_one_becomes_overdue(
        gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    [answer] = gateway.sent(purpose="rma-answer")
    gateway.store.mark_sent(answer.id, NOW)
    assert gateway.store.outbound(overdue_at=NOW + timedelta(hours=3)) == []
    [overdue] = gateway.store.outbound(overdue_at=NOW + timedelta(hours=5))  # SLA: 4h
    assert overdue.id == answer.id

    group = answer.payload.decode("latin-1").split("GS*AN*")[1].split("*")[4]
    result = gateway.take("northwind", ack_997(group), at=NOW + timedelta(hours=1))
    assert result.state == "accepted", result.reason
    [row] = gateway.sent(purpose="rma-answer")
    assert row.ack_state == "accepted" and row.ack_at is not None
    assert gateway.store.outbound(overdue_at=NOW + timedelta(hours=5)) == []
    messages = [f.message for f in gateway.store.findings_of(result.file_id)]
    assert f"997 for our group {group} (180 {answer.control_number}): accepted" in messages


def test_a_rejecting_997_and_one_for_nothing_we_sent(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    [answer] = gateway.sent(purpose="rma-answer")
    group = answer.payload.decode("latin-1").split("GS*AN*")[1].split("*")[4]
    gateway.take("northwind", ack_997(group, "R"))
    assert gateway.sent(purpose="rma-answer")[0].ack_state == "rejected"
    # A later "accepted" for the same group does not quietly undo a rejection.
    gateway.take("northwind", ack_997(group, "A", control="000000778"))
    assert gateway.sent(purpose="rma-answer")[0].ack_state == "rejected"
    stray = gateway.take("northwind", ack_997("99999", control="000000779"))
    [finding] = [f for f in gateway.store.findings_of(stray.file_id) if f.code.startswith("ack")]
    assert (finding.code, finding.severity) == ("ack.unmatched", "warning")
    assert "matches nothing this gateway sent to northwind" in finding.message


def test_a_person_decides_what_the_policy_leaves_pending(gateway: Gateway) -> None:
    pending = story("180-return-request-004010.x12").replace(b"RDR*RP*DM*", b"RDR*RP*NA*")
    pending = pending.replace(b"RDR*RP*DA*", b"RDR*RP*NA*")
    gateway.take("northwind", pending)
    assert gateway.sent(purpose="rma-answer") == []  # rule 3: "not as expected" waits
    first = operator_decide(gateway.outbound, "RMA7734021", Verdict.AUTHORIZE, lines=[1],
                            reason=None, now=NOW)
    assert (first.outcome, first.queued) == ("pending", True)  # line 2 still pending
    second = operator_decide(gateway.outbound, "RR20261123001", Verdict.DENY, lines=[2],
                             reason="IO", now=NOW + timedelta(minutes=5))
    assert second.outcome == "partially-authorized" and second.rma_number == "RMA7734021"
    answers = gateway.sent(purpose="rma-answer")
    assert len(answers) == 2 and all(assess(a.payload).accepted for a in answers)
    assert "RDR*RD**IO" in answers[1].payload.decode("latin-1")
    with pytest.raises(DecisionError, match="not an X12 1294 response reason"):
        operator_decide(gateway.outbound, "RMA7734021", Verdict.DENY, lines=None,
                        reason="ZZ", now=NOW)


def test_a_recall_reaches_the_affected_retailer_once_and_its_answer_counts(
        gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    notice = (REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml").read_bytes()
    result = gateway.take("recalls-hub", notice, "notice.xml")
    assert result.state == "accepted" and result.acknowledgements[0].kind == "recall-ack"
    [notification] = gateway.sent(purpose="recall-notification")
    assert notification.subject == "26-031" and b"RecallNotification" in notification.payload
    react(gateway.outbound, gateway.store.documents_since(NOW - timedelta(days=9)), NOW)
    assert len(gateway.sent(purpose="recall-notification")) == 1
    [recipient] = gateway.store.recall_recipients_of("26-031")
    # Of the line's two mixers only serial SMX22A0017734 is in the recalled range 7700-7799.
    assert (recipient.partner, recipient.affected_units) == ("northwind", "1")
    assert recipient.responded_at is None

    answer = build_recall_response(RecallResponse(
        notification_id=recipient.notification_id, notice_id="26-031", responder="northwind",
        responded_at=NOW, status=ResponseStatus.ACTING, units_found=Decimal(2),
        units_returned=Decimal(1), note="one mixer still in a store"))
    assert gateway.take("northwind", answer, "response.xml").state == "accepted"
    [recipient] = gateway.store.recall_recipients_of("26-031")
    assert (recipient.response_status, recipient.units_found, recipient.units_returned) == (
        "acting", "2", "1")
    # Another partner cannot answer for Northwind.
    stranger = gateway.take("odfl", answer, "response.xml")
    assert stranger.state == "rejected" and "never sent to odfl" in (stranger.reason or "")
    # Quoting the wrong notice is recorded against the notification's own, and said.
    confused = answer.replace(b"<NoticeId>26-031</NoticeId>", b"<NoticeId>26-999</NoticeId>")
    assert confused != answer
    result = gateway.take("northwind", confused, "response-2.xml")
    [warning] = [f for f in gateway.store.findings_of(result.file_id)
                 if f.code == "recall.notice-mismatch"]
    assert "recorded against 26-031" in warning.message


def test_a_document_that_fails_our_own_checks_is_held_not_sent(gateway: Gateway) -> None:
    # GS03 must be 2 to 15 characters: an answer to this partner cannot be valid X12.
    broken = replace(gateway.outbound.parties["northwind"], gs_id="N")
    gateway.outbound = replace(gateway.outbound, parties={
        **gateway.outbound.parties, "northwind": broken})
    gateway.take("northwind", story("180-return-request-004010.x12"))
    [held] = gateway.store.outbound(partner="northwind", held=True)
    assert held.purpose == "rma-answer" and held.ack_state is None
    assert "GS03" in (held.reason or "") or "receiver" in (held.reason or "")
    assert [item.kind for _, _, item in gateway.store.pending_outbox("northwind")] == ["997"]


class _Hook(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[dict[str, str], bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Hook.received.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return


def test_an_overdue_acknowledgement_alerts_once_through_a_signed_webhook(
        gateway: Gateway) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.received = []
    try:
        gateway.take("northwind", story("180-return-request-004010.x12"))
        [answer] = gateway.sent(purpose="rma-answer")
        gateway.store.mark_sent(answer.id, NOW)
        alerter = Alerter(f"http://127.0.0.1:{server.server_port}/hook", b"s3cret",
                          clock=lambda: 1_790_000_000)
        late = NOW + timedelta(hours=5)
        assert [r.id for r in raise_overdue(gateway.store, alerter, late)] == [answer.id]
        assert raise_overdue(gateway.store, alerter, late + timedelta(hours=1)) == []
    finally:
        server.shutdown()
    [(headers, body)] = _Hook.received
    expected = hmac.new(b"s3cret", b"1790000000." + body, hashlib.sha256).hexdigest()
    assert headers["X-Gateway-Signature"] == f"sha256={expected}"
    assert headers["X-Gateway-Alert-Id"] == f"overdue-ack-{answer.id}"
    alert = json.loads(body)
    assert alert["kind"] == "overdue-acknowledgement" and alert["partner"] == "northwind"
    assert "has not acknowledged our 180" in alert["message"]


def test_the_sla_runs_from_when_the_document_was_sent(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    [row] = gateway.sent(purpose="rma-answer")
    assert row.state == "pending" and row.ack_due == NOW + timedelta(hours=4)
    gateway.store.mark_sent(row.id, NOW + timedelta(hours=2))  # the partner was down
    [row] = gateway.sent(purpose="rma-answer")
    assert row.ack_due == NOW + timedelta(hours=6)


def test_a_person_changing_a_decision_the_same_day_is_what_stands(gateway: Gateway) -> None:
    pending = story("180-return-request-004010.x12").replace(b"*DM*", b"*NA*")
    gateway.take("northwind", pending.replace(b"*DA*", b"*NA*"))
    for minutes, verdict, expected in ((0, Verdict.AUTHORIZE, "authorized"),
                                       (5, Verdict.DENY, "denied"),
                                       (9, Verdict.AUTHORIZE, "authorized")):
        operator_decide(gateway.outbound, "RMA7734021", verdict, lines=None,
                        reason="OS" if verdict is Verdict.DENY else None,
                        now=NOW + timedelta(minutes=minutes))
        [case] = cases_for(gateway.store, "RMA7734021").cases
        assert case.decision is not None and case.decision.value == expected
    assert len(gateway.sent(purpose="rma-answer")) == 3


def with_terms(gateway: Gateway, partner: str, **changes: Any) -> None:
    changed = replace(gateway.outbound.parties[partner], **changes)
    gateway.outbound = replace(gateway.outbound,
                               parties={**gateway.outbound.parties, partner: changed})


def test_a_005010_partner_gets_005010_and_xml_status_documents(gateway: Gateway) -> None:
    with_terms(gateway, "northwind", version="005010", status_updates=StatusUpdates(
        "xml", frozenset({CaseState.IN_TRANSIT, CaseState.DELIVERED, CaseState.RECEIVED})))
    gateway.take("northwind", story("180-return-request-004010.x12"))
    [answer] = gateway.sent(purpose="rma-answer")
    text = answer.payload.decode("latin-1")
    assert "*00501*" in text and "*005010~" in text and assess(answer.payload).accepted

    gateway.take("northwind", story("856-pick-pack-004010.x12"))
    gateway.take("odfl", story("214-status-004010.x12"))
    updates = gateway.sent(purpose="status-update")
    assert [u.kind for u in updates] == ["status-xml", "status-xml"]
    assert all(b"urn:returns-gateway:status:1" in u.payload for u in updates)
    assert [u.payload.count(b"<Status>delivered</Status>") for u in updates] == [0, 1]
    assert updates[0].ack_state is None  # XML documents are not answered with a 997


def test_a_carrier_form_214_names_the_carrier(gateway: Gateway) -> None:
    with_terms(gateway, "northwind", status_updates=StatusUpdates("x12-214", frozenset(
        {CaseState.IN_TRANSIT, CaseState.DELIVERED})))
    gateway.take("northwind", story("180-return-request-004010.x12"))
    gateway.take("northwind", story("856-pick-pack-004010.x12"))
    gateway.take("odfl", story("214-status-004010.x12"))
    updates = gateway.sent(purpose="status-update")
    assert [u.kind for u in updates] == ["214", "214"]
    assert all(assess(u.payload).accepted for u in updates)
    texts = [u.payload.decode("latin-1") for u in updates]
    assert all("*ODFL~" in t.split("B10*")[1] for t in texts)  # B1003: the SCAC
    assert ["AT7*X6" in texts[0], "AT7*D1" in texts[1]] == [True, True]


def test_a_partner_on_x12_861_hears_what_the_return_centre_received(
        gateway: Gateway, tmp_path: Path) -> None:
    gateway.add_vendor(tmp_path)
    with_terms(gateway, "northwind", status_updates=StatusUpdates(
        "x12-861", frozenset({CaseState.RECEIVED})))
    gateway.take("northwind", story("180-return-request-004010.x12"))
    gateway.take("northwind", story("856-pick-pack-004010.x12"))
    gateway.take("odfl", story("214-status-004010.x12"))
    assert gateway.sent(purpose="status-update") == []  # an 861 partner hears receipts only

    gateway.take("acme", story("861-receiving-advice-004010.x12"))

    [update] = gateway.sent(purpose="status-update")
    assert update.kind == "861" and assess(update.payload).accepted
    text = update.payload.decode("latin-1")
    assert "GS*RC*" in text and "BRA*RMA7734021-RCV*20261125*00*1*1340~" in text
    for segment in ("REF*RZ*RMA7734021~", "DTM*050*20261125*1340*UT~", "RCD*1*1*EA~",
                    "RCD*2*1*EA***1*EA*01~", "RCD*3*0*EA***1*EA*02~",
                    "LIN**UP*614141000418*SN*EKT17B0099120~", "CTT*3~"):
        assert segment in text, segment
    # Acme sent the 861 itself: it is not told its own news.
    assert gateway.sent(partner="acme", purpose="status-update") == []


def test_a_ta1_rejecting_our_interchange_marks_it_rejected(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    [answer] = gateway.sent(purpose="rma-answer")
    ta1 = ("ISA*00*          *00*          *01*614832907      *ZZ*RLGATEWAY      *261125*1200*"
           "U*00401*000000900*0*P*>~"
           f"TA1*{answer.control_number}*261125*1200*R*022~IEA*0*000000900~").encode()
    result = gateway.take("northwind", ta1)
    [row] = gateway.sent(purpose="rma-answer")
    assert row.ack_state == "rejected", [f.message for f in
                                         gateway.store.findings_of(result.file_id)]
    assert "TA1 code R" in (row.ack_detail or "")


def test_replaying_a_997_restates_its_findings_and_changes_nothing_we_sent(
        gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    [answer] = gateway.sent(purpose="rma-answer")
    group = answer.payload.decode("latin-1").split("GS*AN*")[1].split("*")[4]
    result = gateway.take("northwind", ack_997(group), at=NOW + timedelta(hours=1))
    [before] = gateway.sent(purpose="rma-answer")
    ports, settings = ingest_ports(gateway.config, gateway.store, gateway.partners["northwind"])
    [stored] = gateway.store.files_to_replay(["accepted"], None, None)[-1:]
    assert stored.id == result.file_id
    replay(stored, ports, settings, now=NOW + timedelta(days=2))
    [after] = gateway.sent(purpose="rma-answer")
    assert (after.ack_state, after.ack_at) == (before.ack_state, before.ack_at)
    assert [f.code for f in gateway.store.findings_of(result.file_id)] == ["ack.matched"]
