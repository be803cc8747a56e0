"""A recall finds a partner's holdings through the item index (`gateway.app.outbound.recalls`):
what it reads follows the documents that carry a recalled product, never the store's size.

The index (`gateway.app.items`) stores a line's item value trimmed and upper-cased, and a
GTIN-like value also as its GTIN-14; the matching rules (`gateway.domain.recall_match`) compare
product identities. The lookup asks for every spelling of each recalled identity, so no line the
rules would hold can be left out of the read: the property test below holds the two together.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gateway.app.items import VALUE_MAX, item_keys
from gateway.app.outbound import recalls
from gateway.domain.recall_match import identity_spellings, product_identity
from gateway.model import ItemId, ItemIdScheme
from tests.store.test_outbound import REPO, Gateway, story

NOTICE = REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml"
MIXER_UPC = "614141000364"  # the recalled product, on the 180 story's first line

# Item ids a partner may send, of the schemes a recall compares: GTIN-like digits with stray
# zeros and blanks under any of them, and any text under those compared as sent.
COMPARED = (ItemIdScheme.GTIN, ItemIdScheme.UPC, ItemIdScheme.EAN, ItemIdScheme.ISBN,
            ItemIdScheme.NDC)
ITEM_IDS = st.one_of(
    st.tuples(st.sampled_from(COMPARED),
              st.from_regex(r"[ \t]?0{0,6}[0-9]{6,14}[ \t]?", fullmatch=True)),
    st.tuples(st.sampled_from((ItemIdScheme.NDC, ItemIdScheme.ISBN)),
              st.text(min_size=1, max_size=120)))


@given(item=ITEM_IDS)
def test_every_line_a_recall_would_hold_is_found_by_the_spellings_of_its_identity(
        item: tuple[ItemIdScheme, str]) -> None:
    scheme, raw = item
    identity = product_identity(ItemId(scheme, raw))
    assume(identity is not None)
    assert identity is not None
    indexed = {value for _, value in item_keys({"item_ids": [{"scheme": scheme.value,
                                                              "value": raw}]})}
    asked = {spelling[:VALUE_MAX] for spelling in identity_spellings(identity)}
    assert indexed & asked, (raw, identity, indexed, asked)


@given(digits=st.from_regex(r"[0-9]{8,14}", fullmatch=True))
def test_each_spelling_of_a_gtin_is_that_gtin(digits: str) -> None:
    """No wider than needed: every spelling asked for is the same product."""
    identity = product_identity(ItemId(ItemIdScheme.UPC, digits))
    assume(identity is not None)
    assert identity is not None
    spellings = identity_spellings(identity)
    assert digits in spellings
    assert {product_identity(ItemId(ItemIdScheme.GTIN, s)) for s in spellings} == {identity}


def test_documents_carrying_picks_by_item_kind_partner_and_direction(
        database_url: str, tmp_path: Path) -> None:
    gateway = Gateway(database_url, tmp_path)
    request = gateway.take("northwind", story("180-return-request-004010.x12"))
    notice = gateway.take("northwind", story("856-pick-pack-004010.x12"), "asn")
    # (A file's documents include our answer to the request, direction "out": never found.)
    [request_id] = [d.id for d in gateway.store.documents_of_file(request.file_id)
                    if d.direction == "in"]
    [notice_id] = [d.id for d in gateway.store.documents_of_file(notice.file_id)
                   if d.direction == "in"]
    kinds = ("return-authorization", "return-shipment")

    def found(*values: str, partners: tuple[str, ...] = ("northwind",),
              kinds: tuple[str, ...] = kinds) -> list[int]:
        return [d.id for d in gateway.store.documents_carrying(kinds, partners, values)]

    assert found(MIXER_UPC) == [request_id, notice_id]
    assert found("00" + MIXER_UPC) == [request_id, notice_id]  # its GTIN-14, indexed too
    assert found(MIXER_UPC, kinds=("return-shipment",)) == [notice_id]
    assert found(MIXER_UPC, partners=("odfl",)) == []
    assert found("SMX22A0017734") == [request_id]  # a serial is an item too (on the 180)
    assert found("999999999999") == []
    assert found() == []
    # Thousands of values are asked for in batches, each document once.
    many = [f"{n:012d}" for n in range(1_200)] + [MIXER_UPC]
    assert found(*many) == [request_id, notice_id]


def other_product(number: int) -> bytes:
    """The 180 story as a request of its own for another product (no recall names it)."""
    text = story("180-return-request-004010.x12").decode()
    for old, new in (("000000101", f"{500 + number:09d}"), ("RR20261123001", f"RR{number:011d}"),
                     ("RMA7734021", f"RMA{number:07d}"), (MIXER_UPC, f"7{number:011d}")):
        assert old in text
        text = text.replace(old, new)
    return text.encode()


def test_a_return_arriving_during_a_recall_reads_only_documents_carrying_the_product(
        database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    gateway = Gateway(database_url, tmp_path)
    assert gateway.take("recalls-hub", NOTICE.read_bytes(), "notice.xml").state == "accepted"
    for number in range(12):
        assert gateway.take("northwind", other_product(number), f"r{number}").state == "accepted"
    assert gateway.sent(purpose="recall-notification") == []

    read: list[str] = []
    real = recalls._recallable_lines

    def counted(stored, recalled):  # type: ignore[no-untyped-def]
        read.append(stored.reference)
        return real(stored, recalled)

    monkeypatch.setattr(recalls, "_recallable_lines", counted)
    gateway.take("northwind", story("180-return-request-004010.x12"))
    # The new request carries the mixer and is read; the twelve that do not are never opened.
    assert read == ["RR20261123001"]
    [notification] = gateway.sent(purpose="recall-notification")
    assert notification.subject == "26-031"
    [recipient] = gateway.store.recall_recipients_of("26-031")
    assert (recipient.partner, recipient.affected_units) == ("northwind", "1")
