"""Searching documents and return cases by their keys and by item (GTIN / UPC, serial, lot):
the item index (`document_items`), its migration's backfill, `documents_matching` and
`search_cases` / `find_case` over real 180 / 856 / 214 files and a recall notice."""

from __future__ import annotations

import functools
import importlib.util
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import inspect, select

from gateway.app.cases import cases_for
from gateway.app.ingest import ingest, replay
from gateway.app.items import item_keys
from gateway.app.ports import DocumentQuery, StoredDocument
from gateway.app.search import CaseQuery, find_case, search_cases, seed_query
from gateway.bootstrap import ingest_ports
from gateway.config.settings import GatewayConfig
from gateway.model.states import CaseState
from gateway.store.engine import open_engine
from gateway.store.migrate import migration_config
from gateway.store.repository import SqlStore
from gateway.store.schema import document_items, metadata
from tests.store.workspace import migrated_store

REPO = Path(__file__).resolve().parents[2]
VALID = REPO / "samples" / "valid"
CANONICAL = REPO / "samples" / "canonical"
RECALL = REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml"
MIGRATION = (REPO / "gateway" / "store" / "migrations" / "versions"
             / "0010_document_items.py")
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)

MIXER_UPC, MIXER_GTIN = "614141000364", "00614141000364"
KETTLE_UPC = "614141000418"


def sample(name: str, replacements: dict[bytes, bytes] | None = None) -> bytes:
    data = (VALID / name).read_bytes()
    for old, new in (replacements or {}).items():
        assert old in data, old
        data = data.replace(old, new)
    return data


# The 856 of the story, with a lot on the mixer's item (LIN03/04 LT).
SHIPMENT = sample("856-pick-pack-004010.x12",
                  {b"LIN**UP*614141000364": b"LIN**UP*614141000364*LT*l24030a"})
# Another return from another retailer: same PO, another RMA and request, another product on
# line 1 (with a lot instead of its second serial), the same kettle on line 2.
OTHER_REQUEST = sample("180-return-request-004010.x12", {
    b"000000101": b"000000901", b"RR20260114001": b"RR20260214009",
    b"RMA7734021": b"RMA8800001", b"614141000364": b"036000291452",
    b"SMX22A0017734": b"ZSER-0001", b"N9*SN*SMX22A0017802": b"N9*LT*LOT-B7"})


@dataclass
class World:
    store: SqlStore
    config: GatewayConfig
    ids: dict[str, int]  # file name -> file id
    first: str  # the story's case id (RMA7734021)
    other: str  # the other return's case id (RMA8800001)


@pytest.fixture
def world(database_url: str, tmp_path: Path) -> World:
    """The story (request, answer, 856, 214) from three partners, another return from a
    fourth, then a recall of the mixer."""
    store, config = migrated_store(database_url, tmp_path / "archive")
    ports, settings = ingest_ports(config, store)
    files = [("request", sample("180-return-request-004010.x12"), "westfield", 0),
             ("answer", sample("180-authorization-005010.x12"), "acme", 1),
             ("shipment", SHIPMENT, "westfield", 2),
             ("status", sample("214-status-004010.x12"), "odfl", 3),
             ("other", OTHER_REQUEST, "zenith", 10),
             ("recall", RECALL.read_bytes(), "cpsc", 20)]
    ids = {}
    for name, data, partner, minutes in files:
        result = ingest(data, f"{name}.x12", partner, ports, settings,
                        now=NOW + timedelta(minutes=minutes))
        assert result.state == "accepted", (name, result)
        ids[name] = result.file_id
    [first] = cases_for(store, "RMA7734021").cases
    [other] = cases_for(store, "RMA8800001").cases
    assert first.case_id != other.case_id
    return World(store, config, ids, first.case_id, other.case_id)


def found(world: World, **filters: Any) -> list[str]:
    """The case ids a search finds, every page of it."""
    ids: list[str] = []
    after: int | None = 0
    while after is not None:
        page = search_cases(world.store, CaseQuery(**filters), after=after)
        ids += [hit.case.case_id for hit in page.hits]
        after = page.next_after
    return ids


def kinds_of(docs: list[StoredDocument]) -> list[str]:
    return [d.kind for d in docs]


# --- the item index ------------------------------------------------------------------------------
def test_item_keys_reads_items_wherever_they_sit_and_normalizes_them() -> None:
    body = {"kind": "return-shipment", "hierarchy": [{"children": [{
        "item_ids": [{"scheme": "EAN", "value": " 4006381333931 "},
                     {"scheme": "sku", "value": "012345678905"},  # digits, but not a GTIN
                     {"scheme": "upc", "value": "12345"},  # no GTIN length
                     {"scheme": "gtin", "value": "96385074"},  # GTIN-8
                     {"scheme": "upc", "value": ""}, {"value": "no-scheme"}, "junk"],
        "serials": [" sn-1 ", "", 7], "lots": ["l1" + "x" * 100]}]}]}
    assert item_keys(body) == {
        ("ean", "4006381333931"), ("gtin", "04006381333931"), ("sku", "012345678905"),
        ("upc", "12345"), ("gtin", "96385074"), ("gtin", "00000096385074"),
        ("serial", "SN-1"), ("lot", ("L1" + "X" * 100)[:80])}

    [request] = json.loads((CANONICAL / "180-return-request-004010.json").read_text())
    keys = item_keys(request)
    assert {("upc", MIXER_UPC), ("gtin", MIXER_GTIN), ("serial", "SMX22A0017734"),
            ("gtin", "00" + KETTLE_UPC)} <= keys
    assert not any(scheme == "lot" for scheme, _ in keys)


def test_stored_documents_carry_their_items_and_a_replay_leaves_no_orphan(
        world: World) -> None:
    store = world.store

    def rows() -> set[tuple[int, str, str]]:
        with store.engine.connect() as connection:
            return {(r.document_id, r.scheme, r.value)
                    for r in connection.execute(select(document_items))}

    expected = {(d.id, scheme, value) for d in store.each_document()
                for scheme, value in item_keys(json.loads(d.body))}
    assert ("lot", "L24030A") in {(s, v) for _, s, v in expected}  # from the 856's LIN
    assert rows() == expected

    [shipment_file] = store.files_by_id([world.ids["shipment"]]).values()
    before = {d.id for d in store.documents_of_file(shipment_file.id)}
    ports, settings = ingest_ports(world.config, store)
    assert replay(shipment_file, ports, settings, now=NOW + timedelta(days=1)).state \
        == "accepted"
    after = {d.id for d in store.documents_of_file(shipment_file.id)}
    assert before and after and not before & after  # rewritten under new ids
    stored_ids = {d.id for d in store.each_document()}
    assert {document_id for document_id, _, _ in rows()} <= stored_ids  # no orphan
    assert not any(document_id in before for document_id, _, _ in rows())
    assert [d.id for d in store.documents_matching(DocumentQuery(lot="L24030A"))] \
        == sorted(after)


# --- documents_matching --------------------------------------------------------------------------
def test_documents_are_found_by_gtin_in_any_spelling_and_by_serial_lot_and_item(
        world: World) -> None:
    store = world.store
    by_upc = store.documents_matching(DocumentQuery(gtin=MIXER_UPC))
    assert kinds_of(by_upc) == ["return-authorization", "return-authorization",
                                "return-shipment", "recall-notice"]
    assert store.documents_matching(DocumentQuery(gtin=f" {MIXER_GTIN} ")) == by_upc
    assert store.documents_matching(DocumentQuery(gtin="0" + MIXER_GTIN[1:].lstrip("0"))) \
        == by_upc  # the EAN-13 spelling
    assert [d.id for d in by_upc] == sorted(d.id for d in by_upc)
    for nothing in ("MIXER", "614141", "", "6141410003640000"):
        assert store.documents_matching(DocumentQuery(gtin=nothing)) == []

    assert kinds_of(store.documents_matching(DocumentQuery(serial="smx22a0017734"))) == [
        "return-authorization", "return-authorization"]
    assert [d.partner for d in store.documents_matching(DocumentQuery(lot="LOT-B7"))] \
        == ["zenith"]
    assert [d.partner for d in store.documents_matching(DocumentQuery(item="036000291452"))] \
        == ["zenith"]
    assert store.documents_matching(DocumentQuery(serial="SMX22A0017734", lot="LOT-B7")) == []


def test_documents_are_found_by_key_partner_time_file_and_reference(world: World) -> None:
    store = world.store
    any_kind = store.documents_matching(DocumentQuery(key=" odfl4471122 "))
    assert kinds_of(any_kind) == ["return-shipment", "shipment-status"]  # BOL, B1002
    assert kinds_of(store.documents_matching(
        DocumentQuery(key="ODFL4471122", key_kind="bill-of-lading"))) == ["return-shipment"]
    assert store.documents_matching(DocumentQuery(key="ODFL4471122", key_kind="rma")) == []
    assert {d.partner for d in store.documents_matching(DocumentQuery(key="4500012345"))} \
        == {"westfield", "odfl", "zenith"}  # the vendor's answer quotes no PO
    assert kinds_of(store.documents_matching(DocumentQuery(
        key="4500012345", partner="westfield", kinds=("return-shipment",)))) \
        == ["return-shipment"]

    assert {d.partner for d in store.documents_matching(DocumentQuery(
        received_from=NOW + timedelta(minutes=2), received_to=NOW + timedelta(minutes=11)))} \
        == {"westfield", "odfl", "zenith"}
    [status] = store.documents_matching(DocumentQuery(file_id=world.ids["status"]))
    assert status.kind == "shipment-status"
    assert store.documents_matching(DocumentQuery(reference=status.reference)) == [status]
    assert store.documents_matching(DocumentQuery(ids=(status.id,))) == [status]
    assert store.documents_matching(DocumentQuery(ids=())) == []
    assert store.documents_matching(DocumentQuery(key="  ")) == []
    assert store.documents_matching(DocumentQuery(direction="out")) == []  # none sent yet
    assert len(store.documents_matching(DocumentQuery(direction="in"))) == 6
    with pytest.raises(ValueError, match="timezone-aware"):
        DocumentQuery(received_from=datetime(2026, 1, 1))


def test_documents_page_by_id(world: World) -> None:
    store = world.store
    everything = store.documents_matching(DocumentQuery(), limit=1000)
    assert len(everything) == 6
    pages, after = [], 0
    while page := store.documents_matching(DocumentQuery(), after=after, limit=3):
        assert len(page) <= 3
        pages += page
        after = page[-1].id
    assert pages == everything
    assert store.documents_matching(DocumentQuery(), limit=0) == []


# --- case search ---------------------------------------------------------------------------------
def test_cases_are_found_by_their_keys(world: World) -> None:
    first, other = world.first, world.other
    assert found(world, rma=" rma7734021") == [first]
    assert found(world, rma="RMA8800001") == [other]
    assert found(world, rma="RMA0000000") == []
    assert sorted(found(world, purchase_order="4500012345")) == sorted([first, other])
    assert found(world, shipment="ASN20260120001") == [first]  # the 856's BSN02
    assert found(world, shipment="odfl4471122") == [first]  # BOL (856) and B1002 (214)
    assert found(world, shipment="0771001234") == [first]  # PRO (856) and B1001 (214)
    assert found(world, shipment="4500012345") == []  # a PO is no shipment number
    assert found(world, rma="RMA7734021", purchase_order="4500012345") == [first]
    assert found(world, rma="RMA7734021", shipment="NO-SUCH-BOL") == []


def test_cases_are_found_by_product_in_any_spelling_serial_and_lot(world: World) -> None:
    first, other = world.first, world.other
    assert found(world, gtin=MIXER_UPC) == [first]  # the recall notice names it too
    assert found(world, gtin=MIXER_GTIN) == [first]
    assert found(world, gtin="00036000291452") == [other]
    assert sorted(found(world, gtin=KETTLE_UPC)) == sorted([first, other])
    assert found(world, gtin="not-a-gtin") == []
    assert found(world, serial="smx22a0017802") == [first]
    assert found(world, serial="ZSER-0001") == [other]
    assert found(world, lot="L24030A") == [first]  # only the 856 carries it
    assert found(world, lot="lot-b7") == [other]
    assert found(world, gtin=KETTLE_UPC, lot="L24030A") == [first]  # 180 and 856 together
    assert found(world, lot="L24030A", gtin="036000291452") == []  # the other's product
    assert found(world, rma="RMA7734021", serial="ZSER-0001") == []


def test_cases_are_found_by_partner_state_and_opening_time(world: World) -> None:
    first, other = world.first, world.other
    assert found(world, partner="zenith") == [other]
    assert found(world, partner="odfl") == [first]
    assert found(world, partner="cpsc") == []  # a recall's issuer is no party to a return
    # No one document from odfl names the kettle: the case does.
    assert found(world, partner="odfl", gtin=KETTLE_UPC) == [first]
    assert found(world, partner="zenith", rma="RMA7734021") == []

    assert found(world, state=CaseState.DELIVERED) == [first]
    assert found(world, state=CaseState.REQUESTED) == [other]
    assert found(world, state=CaseState.CLOSED) == []
    middle = NOW + timedelta(minutes=5)
    assert found(world, opened_from=middle) == [other]
    assert found(world, opened_to=middle) == [first]
    assert found(world, opened_from=NOW, opened_to=NOW + timedelta(hours=1),
                 gtin=KETTLE_UPC) in ([first, other], [other, first])
    assert found(world, opened_from=middle, state=CaseState.DELIVERED) == []
    with pytest.raises(ValueError, match="timezone-aware"):
        CaseQuery(opened_to=datetime(2026, 1, 1))


def test_a_case_many_documents_lead_to_is_shown_once_across_pages(world: World) -> None:
    seeds = world.store.documents_matching(seed_query(CaseQuery(purchase_order="4500012345")))
    assert len(seeds) == 4  # the story's request, 856 and 214, the other request
    seen: list[str] = []
    pages, after = 0, 0
    while after is not None:
        page = search_cases(world.store, CaseQuery(purchase_order="4500012345"),
                            after=after, limit=1, scan=1)
        assert len(page.hits) <= 1
        assert page.next_after is None or page.next_after > after  # always moves on
        seen += [hit.case.case_id for hit in page.hits]
        after, pages = page.next_after, pages + 1
    assert sorted(seen) == sorted([world.first, world.other])
    assert pages >= len(seeds)  # one seed per call: every seed was looked at

    limited = search_cases(world.store, CaseQuery(purchase_order="4500012345"), limit=1)
    assert len(limited.hits) == 1 and limited.next_after is not None
    rest = search_cases(world.store, CaseQuery(purchase_order="4500012345"),
                        after=limited.next_after)
    assert [h.case.case_id for h in (*limited.hits, *rest.hits)] == [world.first, world.other]
    assert rest.next_after is None


def test_a_state_only_search_examines_at_most_scan_documents(world: World) -> None:
    seeds = world.store.documents_matching(seed_query(CaseQuery(state=CaseState.REQUESTED)))
    page = search_cases(world.store, CaseQuery(state=CaseState.REQUESTED), scan=2)
    assert page.hits == ()  # the other return's request is further on
    assert page.next_after == seeds[1].id
    assert found(world, state=CaseState.REQUESTED) == [world.other]


def test_hits_carry_the_partners_that_sent_the_case(world: World) -> None:
    [hit] = search_cases(world.store, CaseQuery(rma="RMA7734021")).hits
    assert hit.partners == {"westfield", "acme", "odfl"}
    assert hit.case.state is CaseState.DELIVERED


def test_a_recall_notice_is_found_by_its_product_but_seeds_no_case(world: World) -> None:
    store = world.store
    [notice] = store.documents_matching(DocumentQuery(gtin=MIXER_GTIN,
                                                      kinds=("recall-notice",)))
    assert notice.partner == "cpsc"
    seeds = store.documents_matching(seed_query(CaseQuery(gtin=MIXER_GTIN)))
    assert seeds and notice.id not in {d.id for d in seeds}
    # Every case holds the notice (its holds), yet only the case returning the mixer matches.
    assert found(world, gtin=MIXER_GTIN) == [world.first]


def test_find_case_by_its_id(world: World) -> None:
    result = find_case(world.store, world.first)
    assert result is not None
    view, case = result
    assert case.case_id == world.first and case.state is CaseState.DELIVERED
    assert {d.partner for d in view.documents} >= {"westfield", "acme", "odfl"}
    other = find_case(world.store, world.other)
    assert other is not None and other[1].case_id == world.other
    for unknown in ("180:NO-SUCH-REQUEST", "RR20260114001", "999:RR20260114001", "180:",
                    "", "#1", "180:#1"):
        assert find_case(world.store, unknown) is None, unknown


# --- the migration -------------------------------------------------------------------------------
@functools.cache
def migration() -> ModuleType:
    spec = importlib.util.spec_from_file_location("migration_0010", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sample_bodies() -> list[dict[str, Any]]:
    bodies = [body for path in sorted(CANONICAL.glob("*.json"))
              for body in json.loads(path.read_text())]
    assert len(bodies) >= 15
    return bodies


EDGE_BODIES: list[Any] = [
    {"lines": [{"item_ids": [{"scheme": " UPC ", "value": " 012345678905 "},
                             {"scheme": "ean", "value": "٠١٢٣٤٥٦٧"},  # not ASCII digits
                             {"scheme": "gtin", "value": "1" * 90}],
                "serials": ["a" * 120, "  "], "lots": [None, "x"]}]},
    {"products": [{"item_ids": [{"scheme": "upc", "value": "12345678"}], "lots": ["L1"]}]},
    {"item_ids": "not a list", "serials": {"not": "a list"}, "lots": [["nested"]]},
    [], "text", 5, None,
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.sampled_from(
        ["", " 0614141000364", "12345678", "abc", "gtin", "upc", "ean", "sku", "serial"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["item_ids", "serials", "lots", "scheme", "value", "children", "x"]),
        inner, max_size=4),
    max_leaves=25)


def test_the_migration_reads_items_exactly_as_the_application_does() -> None:
    walk = migration().item_keys
    for body in [*sample_bodies(), *(b for b in EDGE_BODIES if isinstance(b, dict))]:
        assert walk(body) == item_keys(body)
    assert item_keys(EDGE_BODIES[0])  # the edge cases do hold items


@given(st.dictionaries(st.sampled_from(["item_ids", "serials", "lots", "lines", "products"]),
                       json_values, max_size=4))
def test_the_migration_agrees_with_the_application_on_any_json(body: dict[str, Any]) -> None:
    assert migration().item_keys(body) == item_keys(body)


def test_the_upgrade_indexes_the_documents_stored_before_it(database_url: str) -> None:
    engine = open_engine(database_url)
    config = migration_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
    raw = [json.dumps(body) for body in [*sample_bodies(), *EDGE_BODIES]] + ["{not json"]
    bodies = [raw[n % len(raw)] for n in range(450)]  # more than two of its batches
    with engine.begin() as connection:
        connection.execute(OLD_DOCUMENTS.insert(), [
            {"partner": "westfield", "kind": "return-authorization", "reference": "R",
             "body": body, "created_at": NOW} for body in bodies])
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")

    with engine.connect() as connection:
        stored = {row.id: row.body for row in connection.execute(select(OLD_DOCUMENTS))}
        rows = {(r.document_id, r.scheme, r.value)
                for r in connection.execute(select(document_items))}
    expected = {(document_id, scheme, value) for document_id, body in stored.items()
                for scheme, value in item_keys(_parsed(body))}
    assert len(stored) == 450 and len(expected) > 450
    assert rows == expected

    with engine.begin() as connection:  # and back down
        config.attributes["connection"] = connection
        command.downgrade(config, "0009")
    with engine.connect() as connection:
        assert not engine.dialect.has_table(connection, "document_items")


# The documents table as revision 0009 has it, only the columns these tests write and read.
OLD_DOCUMENTS = sa.table("documents", sa.column("id"), sa.column("partner"), sa.column("kind"),
                         sa.column("reference"), sa.column("body"), sa.column("created_at"))


def test_the_migration_makes_the_table_the_schema_declares(database_url: str) -> None:
    engine = open_engine(database_url)
    config = migration_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0010")
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    assert not [d for d in differences if "document_items" in repr(d)]
    [index] = inspect(engine).get_indexes("document_items")
    assert (index["name"], index["column_names"]) == ("ix_document_items_value",
                                                      ["value", "scheme"])


def _parsed(body: str) -> dict[str, Any]:
    try:
        value = json.loads(body)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
