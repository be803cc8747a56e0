"""A store holding one whole return story, for the console's tests and its screenshot tool.

The story is the outbound tests' own (tests/store/test_outbound.py): Northwind's 180 request
for RMA7734021 answered by policy, its 856, ODFL's 214 (in transit, delivered), a recall notice
that reaches Northwind and Northwind's answer to it. On top of it, what a console must show:
a file ODFL got wrong (rejected, with a located finding), a file that is not X12 at all, a
document held as invalid, and a broken partner file.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from gateway.app.access import ApiClient, scopes_of, token_digest
from gateway.app.people import Person, Role, hash_password
from gateway.app.ports import GatewayStore, OutboundRecord, OutboxItem
from gateway.config.settings import GatewayConfig
from gateway.recall import RecallResponse, ResponseStatus, build_recall_response
from gateway.store.repository import SqlStore
from tests.store.test_outbound import COORDINATOR, NOW, REPO, Gateway, ack_997, story

DEFECTS = REPO / "samples" / "defects"
NOTICE = REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml"
# When the console looks at the story: Northwind's 997 for our 180 answer, due 4 h after it
# was sent at NOW, is overdue by then.
LOOKED_AT = NOW + timedelta(hours=6)
BROKEN_PARTNER = """id: Acme Returns
name: Acme
role: wholesaler
"""


PASSWORD = "correct horse battery staple"
_PASSWORD_HASH = hash_password(PASSWORD)  # hashed once: Argon2 takes its time on purpose
# One person of each role, all with PASSWORD.
PEOPLE = {"vera": Role.VIEWER, "otto": Role.OPERATOR, "rosa": Role.RECALL_COORDINATOR,
          "ada": Role.ADMIN}
_ADDED = datetime(2026, 11, 1, tzinfo=UTC)


# Scripts read pages with a named API client's token (gateway tokens create).
READ_TOKEN = "gwt_script-read-token-5b1d0c7e4a9f2d36a8"
ADMIN_TOKEN = "gwt_script-admin-token-c83e19f06b2a4d75b1"
SCRIPTS = {"script-reader": ("read", READ_TOKEN), "script-admin": ("admin", ADMIN_TOKEN)}


def add_people(store: GatewayStore) -> None:
    """The test people and the scripts' API clients, each once."""
    for name, role in PEOPLE.items():
        if store.people().find(name) is None:
            store.people().add(Person(name, role, _ADDED, _ADDED), _PASSWORD_HASH)
    for name, (scopes, token) in SCRIPTS.items():
        if store.api_clients().by_name(name) is None:
            store.api_clients().create(ApiClient(name, scopes_of([scopes]), None, _ADDED,
                                                 token[-4:]), token_digest(token))


@dataclass(frozen=True)
class Story:
    store: SqlStore
    config: GatewayConfig
    rejected_file: int  # ODFL's 214 with an invalid AT701 code
    not_x12_file: int
    now: datetime


def empty_store(folder: Path) -> tuple[SqlStore, GatewayConfig]:
    """A migrated store with no files, and a partners folder with no partner file."""
    gateway = Gateway(f"sqlite:///{folder / 'gateway.sqlite'}", folder)
    partners = folder / "no-partners"
    partners.mkdir()
    return gateway.store, _with_partners(gateway.config, partners)


def build_story(folder: Path) -> Story:
    gateway = Gateway(f"sqlite:///{folder / 'gateway.sqlite'}", folder)
    gateway.take("northwind", story("180-return-request-004010.x12"), "rma-request.x12",
                 at=NOW - timedelta(hours=3))
    gateway.take("northwind", story("856-pick-pack-004010.x12"), "asn-0412.x12",
                 at=NOW - timedelta(hours=2))
    gateway.take("odfl", story("214-status-004010.x12"), "status-0106.x12",
                 at=NOW - timedelta(hours=1))
    _send_everything(gateway.store, NOW)
    gateway.take("recalls-hub", NOTICE.read_bytes(), "recall-26-031.xml", at=NOW)
    _send_everything(gateway.store, NOW + timedelta(minutes=30))
    _answer_the_recall(gateway)
    _accept_the_first_status_update(gateway)
    rejected = gateway.take("odfl", (DEFECTS / "at701-invalid-code.x12").read_bytes(),
                            "status-0220.x12", at=NOW + timedelta(hours=2))
    not_x12 = gateway.take("odfl", (DEFECTS / "not-x12.x12").read_bytes(), "notes.txt",
                           at=NOW + timedelta(hours=3))
    _hold_one(gateway.store, NOW + timedelta(hours=4))
    partners = folder / "partners"
    partners.mkdir()
    for name in ("northwind", "odfl"):
        shutil.copy(REPO / "partners" / f"{name}.yaml", partners)
    (partners / "recalls-hub.yaml").write_text(COORDINATOR)
    (partners / "acme.yaml").write_text(BROKEN_PARTNER)
    return Story(gateway.store, _with_partners(gateway.config, partners), rejected.file_id,
                 not_x12.file_id, LOOKED_AT)


def _with_partners(config: GatewayConfig, partners: Path) -> GatewayConfig:
    return replace(config, paths={**config.paths, "partners": partners})


def _send_everything(store: SqlStore, at: datetime) -> None:
    """As if `gateway run` had delivered what the outbox owed."""
    for outbox_id, _, _ in store.pending_outbox():
        store.mark_sent(outbox_id, at)


def _answer_the_recall(gateway: Gateway) -> None:
    [recipient] = gateway.store.recall_recipients_of("26-031")
    answer = build_recall_response(RecallResponse(
        notification_id=recipient.notification_id, notice_id="26-031", responder="northwind",
        responded_at=NOW + timedelta(hours=1), status=ResponseStatus.ACTING,
        units_found=Decimal(2), units_returned=Decimal(1), note="one mixer still in a store"))
    gateway.take("northwind", answer, "recall-response.xml", at=NOW + timedelta(hours=1))


def _accept_the_first_status_update(gateway: Gateway) -> None:
    first = gateway.sent(purpose="status-update")[0]
    group = first.payload.decode("latin-1").split("GS*AN*")[1].split("*")[4]
    gateway.take("northwind", ack_997(group), "997-northwind.x12", at=NOW + timedelta(hours=1))


def _hold_one(store: SqlStore, at: datetime) -> None:
    """A status update our own checks refused: kept with its reason, never sent."""
    item = OutboxItem("214", "000000950", None, b"ISA*00*...~")
    record = OutboundRecord(item, "status-update", "RR20261123001",
                            "status:RR20261123001:closed",
                            held_because="GS03 (receiver) must be 2 to 15 characters: 'N'")
    with store.transaction() as tx:
        tx.queue_outbound(None, "odfl", record, at)
