"""Partners may send only what their role allows, and a recall notice is its issuer's (issue 12,
items 1 and 2), on SQLite and a real PostgreSQL.

Each attack is played as a hostile partner would: a retailer cancelling the coordinator's
recall, a retailer inventing a recall whose holds authorize what its own policy denies, a
retailer's 214 delivering its never-shipped return, a second coordinator reusing a notice id.
Each is refused: nothing stored, the case unchanged, an ``authority.refused`` finding, the
``refused-document-<file id>`` alert, and the partner answered no further than syntax (a
refused notice: a REJECTED recall-ack).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from gateway.app.cases import NoticeKey, cases_for
from gateway.app.ingest import IngestResult, ingest, preview_replay, replay
from gateway.app.outbound.react import react
from gateway.app.outbound.recalls import latest_by_issuer, latest_notices, latest_versions
from gateway.app.partners import PartnerSettings
from gateway.app.ports import FindingRow
from gateway.app.watchers import Alert, AlertMemory, refused_document
from gateway.bootstrap import ingest_ports, outbound_context
from gateway.config.partners import read_partner
from gateway.config.settings import load_config
from gateway.domain.authority import PartnerDocument, role_authority
from gateway.domain.recall_match import is_active
from gateway.domain.return_case import ReturnCase
from gateway.model.states import CaseState
from gateway.monitoring.alerts import Alerter
from gateway.recall import RecallResponse, ResponseStatus, ack_errors, build_recall_response
from gateway.scheduler import Daemon
from gateway.x12.advice import ApplicationAdvice
from tests.store.test_outbound import NOW, REPO, VALID, VENDOR, story
from tests.store.workspace import migrated_store
from tests.test_metrics import project_with

NOTICE = REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml"
ACK = {"a": "urn:returns-gateway:recall-ack:1"}
NORTHWIND = ("01", "614832907")
SECRET = b"authority-hook-secret"


def coordinator(partner_id: str, isa_id: str) -> str:
    return (f"id: {partner_id}\nname: {partner_id}\nrole: recall-coordinator\n"
            f"x12: {{isa_qualifier: ZZ, isa_id: {isa_id}, gs_id: {isa_id}}}\n"
            "transport: {type: local, inbound: in, outbound: out}\nschedule: {every: 60s}\n")


class Gateway:
    """A store; Northwind (retailer) and ODFL (carrier) as shipped; two recall coordinators
    and a vendor; every file taken with its partner's settings, then its follow-ups run."""

    def __init__(self, database_url: str, tmp_path: Path) -> None:
        self.tmp_path = tmp_path
        self.store, self.config = migrated_store(database_url, tmp_path / "archive")
        self.partners: dict[str, PartnerSettings] = {
            p: read_partner(REPO / "partners" / f"{p}.yaml") for p in ("northwind", "odfl")}
        for partner_id, text in (("recalls-hub", coordinator("recalls-hub", "RECALLHUB")),
                                 ("safety-board", coordinator("safety-board", "SAFETYBOARD")),
                                 ("acme", VENDOR)):
            self.partners[partner_id] = self.partner_from(partner_id, text)

    def partner_from(self, partner_id: str, text: str) -> PartnerSettings:
        path = self.tmp_path / f"{partner_id}.yaml"
        path.write_text(text)
        partner = read_partner(path)
        assert partner.problems == (), partner.problems
        return partner

    def take(self, partner: str, data: bytes, name: str = "file",
             with_partner_file: bool = True) -> IngestResult:
        chosen = self.partners[partner] if with_partner_file else None
        ports, settings = ingest_ports(self.config, self.store, chosen)
        result = ingest(data, name, partner, ports, settings, now=NOW)
        react(outbound_context(self.config, self.store, self.partners),
              self.store.documents_of_file(result.file_id), NOW, result.file_id)
        return result

    def case(self) -> ReturnCase:
        [case] = cases_for(self.store, "RMA7734021").cases
        return case

    def refusals(self, file_id: int) -> list[FindingRow]:
        return [f for f in self.store.findings_of(file_id) if f.code == "authority.refused"]

    def sent(self, partner: str, purpose: str) -> list[bytes]:
        return [r.payload for r in self.store.outbound(partner=partner, purposes=[purpose])]


@pytest.fixture
def gateway(database_url: str, tmp_path: Path) -> Gateway:
    return Gateway(database_url, tmp_path)


def notice(notice_id: str = "26-031", *, version: str = "INITIAL", seq: int = 1,
           status: str = "ISSUED", original: str | None = None) -> bytes:
    """The stand mixer recall (UPC 614141000364, serials SMX22A0017700-7799), as a version."""
    text = NOTICE.read_text()
    quoted = (f'\n  <OriginalNoticeId scheme="CPSC">{original}</OriginalNoticeId>'
              if original else "")
    text = text.replace('<NoticeId scheme="CPSC">26-031</NoticeId>',
                        f'<NoticeId scheme="CPSC">{notice_id}</NoticeId>{quoted}')
    text = text.replace('<NoticeVersion status="INITIAL" seq="1"/>',
                        f'<NoticeVersion status="{version}" seq="{seq}"/>')
    return text.replace("<RecallStatus>ISSUED</RecallStatus>",
                        f"<RecallStatus>{status}</RecallStatus>").encode()


def cancellation(notice_id: str = "26-031", original: str | None = None) -> bytes:
    return notice(notice_id, version="CANCELLED", seq=2, status="CANCELLED", original=original)


def as_sender(data: bytes, isa: tuple[str, str]) -> bytes:
    """The same interchange with ISA05 / ISA06 of another sender (fixed width kept)."""
    head, rest = data.split(b"~", 1)
    fields = head.split(b"*")
    fields[5], fields[6] = isa[0].encode(), isa[1].ljust(15).encode()
    return b"*".join(fields) + b"~" + rest


def recall_ack(result: IngestResult) -> tuple[str, list[tuple[str, str]]]:
    """The recall-ack the partner gets: its status and its errors (code, text)."""
    [item] = result.acknowledgements
    assert item.kind == "recall-ack" and ack_errors(item.payload) == ()
    root = etree.fromstring(item.payload)
    return (str(root.findtext("a:Status", namespaces=ACK)),
            [(str(e.get("code")), str(e.text)) for e in root.findall("a:Error", ACK)])


def assert_refused(gateway: Gateway, result: IngestResult, *, found: str, rule: str,
                   where: tuple[str | None, str | None, str | None] = (None, None, None)
                   ) -> Alert:
    """Refused, nothing of the file stored, one located finding naming ``rule``; the alert
    the daemon raises for it (returned)."""
    assert result.state == "refused" and result.documents == 0
    assert gateway.store.documents_of_file(result.file_id) == []
    [finding] = gateway.refusals(result.file_id)
    assert (finding.severity, finding.found) == ("error", found)
    assert (finding.interchange_control, finding.group_control, finding.set_control) == where
    assert rule in finding.message and rule in (result.reason or "")
    [stored] = gateway.store.files_by_id([result.file_id]).values()
    assert (stored.state, stored.reason) == ("refused", result.reason)
    alert = refused_document(stored.partner, result.file_id, "file", result.state,
                             result.refused)
    assert (alert.id, alert.kind) == (f"refused-document-{result.file_id}", "refused-document")
    [detail] = alert.details["refused"]
    assert rule in detail["rule"] and rule in alert.message
    return alert


# --- item 1: a role-to-document policy --------------------------------------------------------
def test_a_retailer_cannot_cancel_the_coordinators_recall(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    assert gateway.take("recalls-hub", notice()).state == "accepted"
    assert gateway.case().on_recall_hold

    forged = gateway.take("northwind", cancellation(), "cancel.xml")

    alert = assert_refused(gateway, forged, found="26-031",
                           rule="northwind is a retailer and may not send recall notices")
    assert alert.details["refused"][0]["notice_id"] == "26-031"
    status, errors = recall_ack(forged)
    assert status == "REJECTED"
    assert [code for code, _ in errors] == ["authority.refused"]
    assert "may not send recall notices" in errors[0][1]
    [current] = latest_notices(gateway.store.documents_of_kind("recall-notice"))
    assert current.notice_id == "26-031" and is_active(current)
    assert gateway.case().on_recall_hold  # the hold stands
    # Its issuer may cancel it: then, and only then, the hold is lifted.
    assert gateway.take("recalls-hub", cancellation(), "cancel.xml").state == "accepted"
    assert latest_notices(gateway.store.documents_of_kind("recall-notice")) == []
    assert not gateway.case().on_recall_hold


def test_a_retailer_cannot_invent_a_recall_to_get_its_returns_authorized(
        gateway: Gateway) -> None:
    invented = gateway.take("northwind", notice("NW-1"), "recall.xml")

    assert_refused(gateway, invented, found="NW-1",
                   rule="northwind is a retailer and may not send recall notices")
    assert recall_ack(invented)[0] == "REJECTED"
    assert gateway.store.documents_of_kind("recall-notice") == []
    # Its policy denies end-of-season returns (rule 4, EO): no recall hold overrides that.
    request = story("180-return-request-004010.x12").replace(b"RDR*RP*DM", b"RDR*RP*EO")
    gateway.take("northwind", request.replace(b"RDR*RP*DA", b"RDR*RP*EO"))
    [answer] = gateway.sent("northwind", "rma-answer")
    assert b"RDR*RA" not in answer and answer.count(b"RDR*RD") >= 2  # both lines denied
    assert not gateway.case().on_recall_hold
    assert gateway.sent("northwind", "recall-notification") == []


def test_a_retailers_own_214_does_not_deliver_its_return(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    assert gateway.case().state is CaseState.AUTHORIZED

    status = as_sender(story("214-status-004010.x12"), NORTHWIND)
    own = gateway.take("northwind", status, "214.x12")

    assert_refused(gateway, own, found="shipment-status",
                   rule="northwind is a retailer and may not send 214 shipment status reports",
                   where=("000000106", "106", "0001"))
    [refusal] = gateway.refusals(own.file_id)
    assert (refusal.line, refusal.segment_tag) == (3, "ST")
    # The 997 stays about syntax: the set is well formed, and that is all it says.
    [ack] = own.acknowledgements
    assert ack.kind == "997" and b"AK5*A" in ack.payload
    assert gateway.case().state is CaseState.AUTHORIZED  # never shipped, so not delivered
    assert not any(b"delivered" in u for u in gateway.sent("northwind", "status-update"))
    # The same file from the carrier is the carrier's to send.
    carried = gateway.take("odfl", story("214-status-004010.x12"), "214.x12")
    assert carried.state == "accepted" and gateway.case().state is CaseState.DELIVERED


def test_a_retailer_cannot_say_its_own_return_was_received(gateway: Gateway) -> None:
    """Only the dock's owner knows what arrived: a retailer's 861 would close its own claim."""
    for partner, sample in (("northwind", "180-return-request-004010.x12"),
                            ("northwind", "856-pick-pack-004010.x12"),
                            ("odfl", "214-status-004010.x12")):
        gateway.take(partner, story(sample))
    assert gateway.case().state is CaseState.DELIVERED

    receipt = story("861-receiving-advice-004010.x12")
    own = gateway.take("northwind", as_sender(receipt, NORTHWIND), "861.x12")
    assert_refused(gateway, own, found="receiving-advice",
                   rule="northwind is a retailer and may not send 861 receiving advices: they "
                        "come from vendor or return-centre partners",
                   where=("000000117", "117", "0001"))
    assert gateway.case().state is CaseState.DELIVERED

    dock = gateway.take("acme", receipt, "861.x12")
    assert dock.state == "accepted"
    case = gateway.case()
    assert case.state is CaseState.RECEIVED
    assert [r.cause.id for r in case.current_receipts] == ["RCV20261125001"]


def test_a_refused_set_is_explained_in_an_824_when_the_partner_takes_them(
        gateway: Gateway) -> None:
    gateway.partners["northwind"] = replace(gateway.partners["northwind"],
                                            application_advice=ApplicationAdvice.X12_824)
    own = gateway.take("northwind", as_sender(story("214-status-004010.x12"), NORTHWIND))

    assert own.state == "refused" and own.unmapped == ()  # not a mapping problem
    [advice] = gateway.sent("northwind", "application-advice")
    text = advice.decode("latin-1")
    assert "OTI*TR*TN*0001*****106*0001*214" in text and "TED*024*" in text
    assert "may not send 214 shipment status" in text.replace("~NTE**", " ")


@pytest.mark.parametrize(("partner", "sample", "isa", "state"), [
    ("acme", "180-authorization-005010.x12", ("ZZ", "ACMEAPPLIANCE"), "accepted"),
    ("northwind", "180-authorization-005010.x12", NORTHWIND, "refused"),  # answers its own
    ("northwind", "856-pick-pack-004010.x12", NORTHWIND, "accepted"),
    ("acme", "856-pick-pack-004010.x12", ("ZZ", "ACMEAPPLIANCE"), "refused"),
    ("odfl", "214-status-004010.x12", ("02", "ODFL"), "accepted"),
    ("odfl", "180-return-request-004010.x12", ("02", "ODFL"), "refused"),
    ("acme", "861-receiving-advice-004010.x12", ("ZZ", "ACMEAPPLIANCE"), "accepted"),
    ("northwind", "861-receiving-advice-004010.x12", NORTHWIND, "refused"),
    ("odfl", "861-receiving-advice-004010.x12", ("02", "ODFL"), "refused"),
])
def test_each_role_sends_its_own_documents_by_default(gateway: Gateway, partner: str,
                                                      sample: str, isa: tuple[str, str],
                                                      state: str) -> None:
    result = gateway.take(partner, as_sender((VALID / sample).read_bytes(), isa))

    assert result.state == state, result.reason
    assert len(gateway.store.documents_of_file(result.file_id)) == (state == "accepted")
    assert len(gateway.refusals(result.file_id)) == (state == "refused")


def test_a_widened_partner_may_send_more_and_a_narrowed_one_less(gateway: Gateway) -> None:
    good = (REPO / "partners" / "northwind.yaml").read_text()
    gateway.partners["northwind"] = gateway.partner_from(
        "northwind", good + "documents: {allow: [shipment-status]}\n")
    gateway.take("northwind", story("180-return-request-004010.x12"))
    own = gateway.take("northwind", as_sender(story("214-status-004010.x12"), NORTHWIND))
    assert own.state == "accepted" and gateway.case().state is CaseState.DELIVERED

    odfl = (REPO / "partners" / "odfl.yaml").read_text()
    gateway.partners["odfl"] = gateway.partner_from(
        "odfl", odfl + "documents: {deny: [shipment-status]}\n")
    narrowed = gateway.take("odfl", story("214-status-004010.x12"))
    assert_refused(gateway, narrowed, found="shipment-status",
                   rule="odfl may not send 214 shipment status reports: its partner file "
                        "takes them away", where=("000000106", "106", "0001"))


def test_a_recall_response_from_a_partner_denied_them_is_refused(gateway: Gateway) -> None:
    odfl = (REPO / "partners" / "odfl.yaml").read_text()
    gateway.partners["odfl"] = gateway.partner_from(
        "odfl", odfl + "documents: {deny: [recall-response]}\n")
    answer = build_recall_response(RecallResponse(
        notification_id="N000000001", notice_id="26-031", responder="odfl", responded_at=NOW,
        status=ResponseStatus.ACTING, units_found=Decimal(1), units_returned=Decimal(0)))

    result = gateway.take("odfl", answer, "response.xml")

    assert_refused(gateway, result, found="26-031",
                   rule="odfl may not send recall responses: its partner file takes them away")
    assert result.acknowledgements == ()  # a response is never acknowledged
    assert [f.code for f in gateway.store.findings_of(result.file_id)] == ["authority.refused"]


def test_a_file_with_refused_and_allowed_documents_is_partially_refused(
        gateway: Gateway) -> None:
    # Northwind's request, and in the same group a second set answering it (BGN01 11).
    head, rest = story("180-return-request-004010.x12").decode().split("ST*180*0001~", 1)
    body, tail = rest.split("SE*28*0001~", 1)
    answer = body.replace("BGN*00*RR20261123001", "BGN*11*RA20261123002")
    both = (f"{head}ST*180*0001~{body}SE*28*0001~ST*180*0002~{answer}SE*28*0002~"
            + tail.replace("GE*1*101~", "GE*2*101~"))

    result = gateway.take("northwind", both.encode())

    assert result.state == "partially-refused" and result.documents == 1
    [stored] = [d for d in gateway.store.documents_of_file(result.file_id)
                if d.direction == "in"]  # (our answer to the request is filed with it)
    assert stored.reference == "RR20261123001"  # the request; its own "answer" is not kept
    [refusal] = gateway.refusals(result.file_id)
    assert refusal.set_control == "0002" and "may not send 180 answers" in refusal.message


def test_without_a_partner_file_the_role_is_not_checked(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"),
                 with_partner_file=False)
    own = gateway.take("northwind", as_sender(story("214-status-004010.x12"), NORTHWIND),
                       with_partner_file=False)

    assert own.state == "accepted" and own.refused == ()  # today's behaviour, as documented
    assert gateway.case().state is CaseState.DELIVERED
    # A notice is still its issuer's: that rule needs no partner file.
    gateway.take("recalls-hub", notice())
    forged = gateway.take("safety-board", cancellation(), with_partner_file=False)
    assert_refused(gateway, forged, found="26-031", rule="was issued by recalls-hub")


@pytest.mark.parametrize(("role", "allowed"), [
    ("retailer", {"return-request", "return-notification", "return-shipment",
                  "recall-response"}),
    ("vendor", {"return-answer", "receiving-advice", "recall-response"}),
    ("return-centre", {"receiving-advice", "recall-response"}),
    ("carrier", {"shipment-status", "recall-response"}),
    ("recall-coordinator", {"recall-notice", "recall-response"}),
])
def test_the_defaults_of_each_role(role: str, allowed: set[str]) -> None:
    authority = role_authority("p", role)

    for document in PartnerDocument:
        refusal = authority.refusal(document)
        assert (refusal is None) == (document in allowed), (role, document, refusal)


# --- item 3: a notice is its issuer's -----------------------------------------------------------
@pytest.mark.parametrize(("notice_id", "original"), [
    ("26-031", None),  # the same id, cancelled
    ("SB-7", "26-031"),  # a notice of its own id, claiming to cancel 26-031
])
def test_a_second_coordinator_cannot_reuse_or_cancel_anothers_notice(
        gateway: Gateway, notice_id: str, original: str | None) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    gateway.take("recalls-hub", notice())

    reused = gateway.take("safety-board", cancellation(notice_id, original), "notice.xml")

    assert_refused(gateway, reused, found=notice_id,
                   rule="notice 26-031 was issued by recalls-hub; only its issuer may send")
    status, [(code, told)] = recall_ack(reused)
    assert (status, code) == ("REJECTED", "authority.refused")
    assert "issued by another partner" in told and "recalls-hub" not in told
    assert list(latest_by_issuer(gateway.store.documents_of_kind("recall-notice"))) == [
        NoticeKey("recalls-hub", "26-031")]
    assert gateway.case().on_recall_hold
    [recipient] = gateway.store.recall_recipients_of("26-031")
    assert recipient.partner == "northwind"


def test_a_coordinator_widened_retailer_still_cannot_touch_anothers_notice(
        gateway: Gateway) -> None:
    good = (REPO / "partners" / "northwind.yaml").read_text()
    gateway.partners["northwind"] = gateway.partner_from(
        "northwind", good + "documents: {allow: [recall-notice]}\n")
    gateway.take("recalls-hub", notice())

    forged = gateway.take("northwind", cancellation(), "cancel.xml")

    assert_refused(gateway, forged, found="26-031",
                   rule="notice 26-031 was issued by recalls-hub")
    # A notice of its own is its to send, and its own to cancel.
    assert gateway.take("northwind", notice("NW-1"), "own.xml").state == "accepted"
    assert gateway.take("northwind", cancellation("NW-1"), "own-cancel.xml").state == \
        "accepted"


def test_a_version_stored_from_another_partner_replaces_nothing(gateway: Gateway) -> None:
    """Stored before ingest refused such versions (or racing the issuer's first one): the
    read side keys notices by issuer + id, so it cancels nothing and holds nothing."""
    gateway.take("northwind", story("180-return-request-004010.x12"))
    gateway.take("recalls-hub", notice())
    forged = json.loads(gateway.store.documents_of_kind("recall-notice")[0].body)
    forged.update(version_status="cancelled", status="cancelled", version=2)
    with gateway.store.transaction() as tx:
        tx.add_document(None, "northwind", kind="recall-notice", reference="26-031",
                        body=json.dumps(forged), keys=[], created_at=NOW + timedelta(hours=1))

    versions = latest_versions(gateway.store.documents_of_kind("recall-notice"))
    assert list(versions) == ["26-031"] and is_active(versions["26-031"])
    assert gateway.case().on_recall_hold
    view = cases_for(gateway.store, "RMA7734021")
    assert all(d.partner != "northwind" for d in view.documents if d.kind == "recall-notice")


def test_a_refused_file_stays_refused_when_replayed(gateway: Gateway) -> None:
    gateway.take("northwind", story("180-return-request-004010.x12"))
    own = gateway.take("northwind", as_sender(story("214-status-004010.x12"), NORTHWIND))
    [stored] = gateway.store.files_by_id([own.file_id]).values()

    ports, with_partner = ingest_ports(gateway.config, gateway.store,
                                       gateway.partners["northwind"])
    preview = preview_replay(ports.archive.get(stored.archive_key),
                             "northwind", ports, with_partner)
    assert (preview.state, preview.documents) == ("refused", [])
    assert [f.code for f in preview.findings] == ["authority.refused"]
    again = replay(stored, ports, with_partner, now=NOW)
    assert again.state == "refused" and len(gateway.refusals(own.file_id)) == 1
    _, without = ingest_ports(gateway.config, gateway.store)  # nothing could refuse it
    untouched = replay(stored, ports, without, now=NOW)
    assert untouched.state == "refused" and "partner file of northwind" in (
        untouched.reason or "")
    assert gateway.store.documents_of_file(own.file_id) == []
    assert gateway.case().state is CaseState.AUTHORIZED


# --- the daemon raises the alert -----------------------------------------------------------
@pytest.fixture
def webhook() -> Iterator[tuple[str, list[tuple[dict[str, str], bytes]]]]:
    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append((dict(self.headers),
                             self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def test_the_daemon_alerts_a_refused_document_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        webhook: tuple[str, list[tuple[dict[str, str], bytes]]]) -> None:
    northwind = (REPO / "partners" / "northwind.yaml").read_text().replace(
        "var/partners/northwind/outbox", "in/northwind").replace(
        "var/partners/northwind/inbox", "out/northwind").replace(
        "move:var/partners/northwind/done", "delete")
    project = project_with(tmp_path, {"northwind": northwind})
    monkeypatch.chdir(project)
    daemon = Daemon(load_config(project / "config.yaml"), settle=0)
    daemon.prepare()
    url, received = webhook
    daemon.alerter = Alerter(url, SECRET, on_alert=daemon.alerter.on_alert)
    daemon.alerts = AlertMemory(daemon.alerter)
    caplog.set_level(logging.INFO)

    (project / "in" / "northwind" / "status.x12").write_bytes(
        as_sender(story("214-status-004010.x12"), NORTHWIND))
    daemon._poll("northwind")
    daemon._poll("northwind")  # nothing new: nothing raised again

    [(headers, body)] = received
    alert = json.loads(body)
    assert (alert["id"], alert["kind"], alert["partner"]) == (
        "refused-document-1", "refused-document", "northwind")
    assert alert["details"]["state"] == "refused"
    [refused] = alert["details"]["refused"]
    assert (refused["document"], refused["isa13"], refused["gs06"], refused["st02"]) == (
        "shipment-status", "000000106", "106", "0001")
    assert "may not send 214 shipment status reports" in refused["rule"]
    digest = hmac.new(SECRET, headers["X-Gateway-Timestamp"].encode() + b"." + body,
                      hashlib.sha256).hexdigest()
    assert headers["X-Gateway-Signature"] == f"sha256={digest}"
    assert any(getattr(r, "alert_id", None) == "refused-document-1" for r in caplog.records)
    assert daemon.metrics.registry.get_sample_value(
        "gateway_alerts_raised_total", {"kind": "refused-document", "partner": "northwind"}) == 1
