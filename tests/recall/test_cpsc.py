"""CPSC Recall Retrieval records: the corpus example (as published and escaped) and variants."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gateway.model import ItemIdScheme, PartyRole, Quantity, RequiredActionType
from gateway.recall import RecallResult, Severity, read_recall

from .conftest import CORPUS, corpus_file, sample

ESCAPED = "cpsc-recall-18143-escaped.xml"
AS_PUBLISHED = "cpsc-recall-18143-as-published.xml"


def test_sample_copy_is_the_corpus_file() -> None:
    assert sample(ESCAPED) == corpus_file(ESCAPED)


@pytest.mark.parametrize("source", ["corpus", "samples"])
def test_escaped_record_is_accepted_with_its_key_values(source: str) -> None:
    data = corpus_file(ESCAPED) if source == "corpus" else sample(ESCAPED)
    result = read_recall(data)
    assert result.accepted, result.errors
    assert result.errors == ()
    assert result.dialect == "cpsc"
    notice = result.notice
    assert notice is not None
    assert (notice.notice_id, notice.notice_scheme, notice.authority) == ("18143", "CPSC", "CPSC")
    assert notice.title == ("Wild & Wolf Recalls Petit Collage Children’s Toy Xylophones "
                            "Due to Choking Hazard")
    assert notice.description is not None
    assert notice.description.startswith("This recall involves Petit Collage")
    assert {(d.qualifier, d.on) for d in notice.dates} == {
        ("published", date(2018, 4, 19)), ("last-published", date(2018, 4, 19))}
    (product,) = notice.products
    assert product.name == "Petit Collage musical jumbo wooden xylophones"
    assert product.quantity is None  # "About 2,900 (In addition, ...)" is no number
    assert product.code_info == "About 2,900 (In addition, about 240 were sold in Canada)"
    firms = {(party.role, party.name) for party in notice.parties if party.name}
    assert (PartyRole.MANUFACTURER, "Ningbo Tooky Toy Co. Ltd, of China") in firms
    assert (PartyRole.IMPORTER, "Petit Collage, of San Francisco, Calif.") in firms
    assert (PartyRole.DISTRIBUTOR, "Wild & Wolf, of U.K.") in firms
    retailers = [name for role, name in firms if role is PartyRole.RETAILER]
    assert len(retailers) == 1 and retailers[0].startswith("Barnes & Noble, Patina")
    contacts = [c for party in notice.parties for c in party.contacts if c.role == "CONSUMER"]
    assert len(contacts) == 1 and contacts[0].phone == "855-215-5879"
    assert contacts[0].name is not None and "toll free" in contacts[0].name
    assert notice.hazards[0].startswith("The ball on the end of the toy xylophone")
    assert notice.remedies[0].startswith("Consumers should immediately take")
    assert [(a.action, a.action_code) for a in notice.actions] == [
        (RequiredActionType.REPLACE, "Replace")]
    assert notice.injuries is not None and "No injuries have been reported" in notice.injuries
    links = [(link.qualifier, link.value) for link in notice.links]
    assert links[0] == ("source", "https://www.cpsc.gov/Recalls/2018/Wild--Wolf-Recalls-Petit-"
                                  "Collage-Childrens-Toy-Xylophones-Due-to-Choking-Hazard")
    assert [value for rel, value in links if rel == "image"] == [
        f"https://www.cpsc.gov/s3fs-public/955_{n}.jpeg" for n in (1, 2, 3)]
    assert ("counterpart", "http://healthycanadians.gc.ca/recall-alert-rappel-avis/hc-sc/2018/"
                           "66524r-eng.php") in links
    assert notice.source.standard == "CPSC-XML"


def test_as_published_record_is_rejected_as_not_well_formed() -> None:
    result = read_recall(corpus_file(AS_PUBLISHED))
    assert not result.accepted
    assert result.notice is None
    # Every raw '&' of the file (grep -n ' & '): lines 13, 16, 65, 78 and 100.
    assert [(e.code, e.line) for e in result.errors] == [
        ("xml.not-well-formed", line) for line in (13, 16, 65, 78, 100)]
    assert all("&amp;" in error.message for error in result.errors)


def test_corpus_folder_is_where_the_provenance_says() -> None:
    if not CORPUS.exists():
        pytest.skip("shared corpus not present")
    assert (CORPUS.parent / "PROVENANCE.md").read_text(encoding="utf-8").count("cpsc-recall") >= 2


def record(body: str, *, wrapped: bool = True) -> RecallResult:
    inner = f"<Recall><RecallNumber>24-001</RecallNumber><Title>Kettle</Title>{body}</Recall>"
    return read_recall((f"<Recalls>{inner}</Recalls>" if wrapped else inner).encode())


def test_single_recall_root_is_read() -> None:
    result = record("", wrapped=False)
    assert result.accepted
    assert result.notice is not None and result.notice.notice_id == "24-001"


def test_upcs_go_on_the_only_product_and_a_bad_one_is_a_warning() -> None:
    result = record("<Products><Product><Name>Kettle</Name><NumberOfUnits>2,900</NumberOfUnits>"
                    "</Product></Products><ProductUPCs><ProductUPC><UPC>614141000036</UPC>"
                    "</ProductUPC><ProductUPC><UPC>6 14141 00003 7</UPC></ProductUPC>"
                    "</ProductUPCs>")
    assert result.accepted  # CPSC data is published, not ours to refuse
    (warning,) = result.errors
    assert (warning.code, warning.severity) == ("gtin.check-digit", Severity.WARNING)
    assert warning.path == "/Recalls/Recall[1]/ProductUPCs[1]/ProductUPC[2]/UPC[1]"
    assert result.notice is not None
    (product,) = result.notice.products
    assert [(i.scheme, i.value) for i in product.item_ids] == [
        (ItemIdScheme.UPC, "614141000036"), (ItemIdScheme.UPC, "614141000037")]
    assert product.quantity == Quantity(Decimal("2900"), "EA")
    assert product.code_info is None


def test_upcs_of_several_products_stand_apart() -> None:
    result = record("<Products><Product><Name>A</Name></Product><Product><Name>B</Name>"
                    "</Product></Products><ProductUPCs><UPC>614141000036</UPC></ProductUPCs>")
    assert result.notice is not None
    names = [(p.name, len(p.item_ids)) for p in result.notice.products]
    assert names == [("A", 0), ("B", 0), (None, 1)]


def test_unreadable_date_is_a_warning() -> None:
    result = record("<RecallDate>2018-02-30</RecallDate><LastPublishDate>2018-03-01T00:00:00"
                    "</LastPublishDate>")
    assert result.accepted
    assert [(e.code, e.severity) for e in result.errors] == [("cpsc.date", Severity.WARNING)]
    assert result.notice is not None
    assert [(d.qualifier, d.on) for d in result.notice.dates] == [
        ("last-published", date(2018, 3, 1))]


@pytest.mark.parametrize(("data", "code"), [
    (b"<Recalls/>", "cpsc.no-record"),
    (b"<Recalls><Recall><RecallNumber>1</RecallNumber></Recall>"
     b"<Recall><RecallNumber>2</RecallNumber></Recall></Recalls>", "cpsc.multiple-records"),
    (b"<Recalls><Recall><Title>No number</Title></Recall></Recalls>", "cpsc.missing-id"),
])
def test_records_we_cannot_identify_are_rejected(data: bytes, code: str) -> None:
    result = read_recall(data)
    assert not result.accepted
    assert [e.code for e in result.errors] == [code]
    assert result.dialect == "cpsc"


def test_recall_id_is_used_when_there_is_no_recall_number() -> None:
    result = read_recall(b"<Recall><RecallID>8308</RecallID></Recall>")
    assert result.notice is not None and result.notice.notice_id == "8308"


def test_remedy_options_map_to_actions() -> None:
    result = record("<RemedyOptions><RemedyOption><Option>Refund</Option></RemedyOption>"
                    "<RemedyOption><Option>New Instructions</Option></RemedyOption>"
                    "</RemedyOptions>")
    assert result.notice is not None
    assert [(a.action, a.action_code) for a in result.notice.actions] == [
        (RequiredActionType.REFUND, "Refund"), (RequiredActionType.OTHER, "New Instructions")]
