"""Numbers the model cannot use (issue 11, item 2): NaN, sNaN, Infinity and magnitudes no
quantity or amount has are refused while typing into the model, as located mapping issues,
never a Decimal that crashes a comparison or a sum later (a returns policy, a recall count)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gateway.config.mappings import MappingCatalog
from gateway.mapping.build import MAX_ADJUSTED_EXPONENT, usable_decimal
from gateway.mapping.engine import VALUE_UNUSABLE
from gateway.mapping.translate import Translation, translate_set
from gateway.model import ReturnAuthorization, Source

REPO = Path(__file__).resolve().parents[2]
REQUEST = REPO / "samples" / "valid" / "180-return-request-004010.x12"


def request_segments(quantity: str, price: str = "189.99") -> list[list[str]]:
    """The sample 180's ST..SE, its first BLI carrying ``quantity`` and ``price``."""
    text = REQUEST.read_text()
    body = text[text.index("ST*180"):text.index("GE*")]
    segments = [s.strip().split("*") for s in body.split("~") if s.strip()]
    first_bli = next(s for s in segments if s[0] == "BLI")
    first_bli[3], first_bli[6] = quantity, price
    return segments


def translate(quantity: str, price: str = "189.99") -> Translation:
    spec = MappingCatalog(REPO / "mappings").spec_for("180", "acme")
    assert spec is not None
    source = Source("acme", "X12", "000000101", "101", "0001", "004010", spec.name)
    return translate_set(spec, request_segments(quantity, price), source)


@pytest.mark.parametrize("quantity", ["NaN", "nan", "sNaN", "-sNaN", "Infinity", "-Inf",
                                      "1E+999999999", "1E-999999999"])
def test_an_unusable_quantity_is_a_located_issue_not_a_decimal(quantity: str) -> None:
    translation = translate(quantity)
    [issue] = [i for i in translation.issues if i.code == VALUE_UNUSABLE]
    assert issue.rule == "fields.lines[1].quantity.value"
    assert (issue.position, issue.tag) == (12, "BLI")  # ST is 1: the first BLI of the set
    assert issue.severity == "error" and repr(quantity) in issue.message
    assert issue.partner == "acme" and "mappings/180.yaml" in issue.mapping
    assert not translation.ok  # the set cannot be taken as mapped
    document = translation.document
    assert isinstance(document, ReturnAuthorization)
    assert document.lines[0].quantity is None  # no poisoned Decimal anywhere in the model
    assert document.lines[1].quantity is not None
    assert document.lines[1].quantity.value == Decimal(1)


def test_an_unusable_amount_is_refused_the_same_way() -> None:
    translation = translate("2", price="Infinity")
    [issue] = [i for i in translation.issues if i.code == VALUE_UNUSABLE]
    assert issue.rule == "fields.lines[1].unit_price.amount"
    assert (issue.position, issue.tag) == (12, "BLI")


@pytest.mark.parametrize("text", ["2", "-3", "0", "0.00", "189.99", "1E+5", "1E3",
                                  "123456789012345678", "0.000000000000000001"])
def test_every_number_an_r_or_n_element_can_hold_is_kept(text: str) -> None:
    assert usable_decimal(text) == Decimal(text)
    assert translate(text).ok


def test_the_bound_sits_just_beyond_the_widest_x12_number() -> None:
    largest = "9" * (MAX_ADJUSTED_EXPONENT + 1)  # 19 digits: 10^18 <= value < 10^19
    assert usable_decimal(largest) == Decimal(largest)
    with pytest.raises(ValueError, match="magnitude"):
        usable_decimal("1" + "0" * (MAX_ADJUSTED_EXPONENT + 1))
    with pytest.raises(ValueError, match="magnitude"):
        usable_decimal(f"1E-{MAX_ADJUSTED_EXPONENT + 1}")
