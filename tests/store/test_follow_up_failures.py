"""One poisoned document must not fail the follow-ups of the others (issue 11, item 2).

A 180 request stored with a quantity of NaN (as ingest stored them before the mapping refused
such values) used to raise InvalidOperation in the returns policy: the follow-ups of its whole
batch stopped, `gateway run`'s catch-up failed for every partner at each start, and a later
genuine recall notification to its partner was held as unwritable ("NaN is not a number").
Now such a document no longer reads back into the model, which is recorded as its failure
(never silently skipped), and whatever one document's follow-ups raise is caught, recorded and
alerted on its own while the others go on.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

from gateway.app.ingest import ingest
from gateway.app.items import item_keys
from gateway.app.outbound import decisions
from gateway.app.outbound.react import react
from gateway.app.ports import IngestStore
from gateway.app.translate import translate_x12
from gateway.app.watchers import Alert, AlertMemory
from gateway.bootstrap import ingest_ports
from gateway.config.mappings import MappingCatalog
from gateway.config.settings import load_config
from gateway.domain import rma_policy
from gateway.domain.correlation import keys_of
from gateway.model import Quantity, ReturnAuthorization
from gateway.model.canonical_json import to_json
from gateway.monitoring.alerts import Alerter
from gateway.scheduler import Daemon
from gateway.store.repository import SqlStore
from tests.store.test_daemon import partner_yaml
from tests.store.test_outbound import NOW, REPO, Gateway, story
from tests.test_metrics import project_with

NOTICE = REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml"
POISONED = "RR-POISONED-1"
POLICY = """returns_policy:
  rma_prefix: NW
  default: pending
  rules:
    - {reasons: [DM, DR, DA, DP, DT], max_quantity: 10, max_value: 500, decide: authorize}
"""


def store_poisoned_request(store: IngestStore, at: datetime = NOW) -> int:
    """Northwind's sample request under another number, its mixer line's quantity NaN and
    its serials gone (so a recall of the mixer counts the line by its quantity), stored as
    ingest stored such documents before: straight into the documents table."""
    data = story("180-return-request-004010.x12")
    [good] = translate_x12(data, MappingCatalog(REPO / "mappings").spec_for,
                           "northwind").documents
    assert isinstance(good, ReturnAuthorization)
    mixer, *rest = good.lines
    poisoned = replace(good, document_id=POISONED, rma_number=None, lines=(
        replace(mixer, quantity=Quantity(Decimal("NaN"), "EA"), serials=()), *rest))
    body = to_json(poisoned)
    with store.transaction() as tx:
        # Stored as the pipeline stores a document: with its keys and its item index, through
        # which a recall finds it.
        return tx.add_document(None, "northwind", kind="return-authorization",
                               reference=POISONED, body=json.dumps(body),
                               keys=[(k.kind.value, k.value) for k in keys_of(poisoned)],
                               items=sorted(item_keys(body)),
                               created_at=at - timedelta(hours=1))


def test_a_poisoned_document_holds_back_neither_the_catch_up_nor_a_genuine_recall(
        database_url: str, tmp_path: Path) -> None:
    gateway = Gateway(database_url, tmp_path)
    poisoned = store_poisoned_request(gateway.store)

    # The catch-up of `gateway run` at start: it completes, the poisoned request recorded.
    caught_up = react(gateway.outbound, gateway.store.documents_since(NOW - timedelta(days=1)),
                      NOW)
    [failure] = caught_up.failures
    assert (failure.document_id, failure.partner, failure.reference) == (
        poisoned, "northwind", POISONED)
    assert failure.step == "reading the stored document"
    assert "fields.lines[1].quantity.value" in failure.error and "'NaN'" in failure.error
    assert any(f"document #{poisoned}" in line for line in caught_up.lines())

    # A genuine request from the same partner is still decided and answered ...
    gateway.take("northwind", story("180-return-request-004010.x12"))
    [answer] = gateway.sent(purpose="rma-answer")
    assert answer.subject == "RR20261123001"

    # ... and a later genuine recall notification goes out, counting only what can be counted.
    ports, settings = ingest_ports(gateway.config, gateway.store,
                                   gateway.partners["recalls-hub"])
    notice = ingest(NOTICE.read_bytes(), "notice.xml", "recalls-hub", ports, settings, now=NOW)
    reactions = react(gateway.outbound, gateway.store.documents_of_file(notice.file_id), NOW,
                      notice.file_id)
    assert [n.partner for n in reactions.notified] == ["northwind"]
    [notification] = gateway.sent(purpose="recall-notification")
    assert notification.state == "pending", notification.reason  # not held: it will be sent
    [recipient] = gateway.store.recall_recipients_of("26-031")
    assert recipient.affected_units == "1"  # the genuine request's recalled serial
    assert POISONED not in recipient.affected_items
    assert [(f.document_id, f.step) for f in reactions.failures] == [
        (poisoned, "recall notifications")]

    # Every later catch-up completes too, and sends nothing twice.
    again = react(gateway.outbound, gateway.store.documents_since(NOW - timedelta(days=1)),
                  NOW + timedelta(hours=1))
    assert {f.document_id for f in again.failures} == {poisoned}
    assert again.answers == [] or not any(a.queued for a in again.answers)
    assert again.updates == [] and again.notified == []
    assert len(gateway.sent(purpose="recall-notification")) == 1


def test_the_daemon_catches_up_past_a_poisoned_document_and_alerts_it_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    project = project_with(tmp_path, {
        "northwind": partner_yaml("northwind", ("01", "614832907")) + POLICY})
    monkeypatch.chdir(project)
    config = load_config(project / "config.yaml")
    daemon = Daemon(config, settle=0)
    daemon.prepare()
    raised: list[Alert] = []
    daemon.alerts = AlertMemory(Alerter(on_alert=raised.append))
    now = datetime.now().astimezone()  # the daemon catches up on the last day, by its clock
    poisoned = store_poisoned_request(daemon.store, now)
    ports, settings = ingest_ports(config, daemon.store, daemon.partners["northwind"])
    ingest(story("180-return-request-004010.x12"), "rma.x12", "northwind", ports, settings,
           now=now)  # stored, its follow-ups not yet run (a stop came between)
    caplog.set_level(logging.INFO)

    daemon._catch_up()
    daemon._catch_up()  # the next start: the same document, alerted once per process

    assert [a.id for a in raised] == [f"follow-up-failed-{poisoned}"]
    assert raised[0].details["reference"] == POISONED and raised[0].partner == "northwind"
    logged = [r for r in caplog.records if r.levelno == logging.ERROR
              and getattr(r, "document_id", None) == poisoned]
    assert len(logged) == 2  # a log line at each run, the alert once
    assert all(getattr(r, "partner", None) == "northwind" and POISONED in r.getMessage()
               and "'NaN'" in r.getMessage() for r in logged)
    assert isinstance(daemon.store, SqlStore)
    [answer] = daemon.store.outbound(purposes=["rma-answer"])  # the genuine one was decided
    assert answer.subject == "RR20261123001"
    assert "Traceback" not in caplog.text


def test_whatever_one_documents_follow_ups_raise_the_others_go_on(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = Gateway(database_url, tmp_path)
    buggy = story("180-return-request-004010.x12").replace(b"RR20261123001", b"RR-BUGGY-7")
    stock = rma_policy.decide

    def decide_with_a_bug(request: ReturnAuthorization, *args: Any) -> Any:
        if request.document_id == "RR-BUGGY-7":
            raise InvalidOperation([InvalidOperation])  # what a NaN quantity used to raise
        return stock(request, *args)

    monkeypatch.setattr(decisions, "decide", decide_with_a_bug)
    ports, settings = ingest_ports(gateway.config, gateway.store,
                                   gateway.partners["northwind"])
    ingest(buggy, "buggy.x12", "northwind", ports, settings, now=NOW)
    ingest(story("180-return-request-004010.x12").replace(b"000000101", b"000000102"),
           "good.x12", "northwind", ports, settings, now=NOW)
    batch = gateway.store.documents_since(NOW - timedelta(days=1))

    reactions = react(gateway.outbound, batch, NOW)

    [failure] = reactions.failures
    assert (failure.reference, failure.step) == ("RR-BUGGY-7", "deciding the return request")
    assert "InvalidOperation" in failure.error
    assert [a.request for a in reactions.answers if a.queued] == ["RR20261123001"]
    assert [r.subject for r in gateway.sent(purpose="rma-answer")] == ["RR20261123001"]
