"""build_native_notice: a RecallNotice written back as recall-notice 1.0, read back unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from gateway.model import (
    DatedEvent,
    Identifier,
    ItemId,
    ItemIdScheme,
    RecallNotice,
    RequiredAction,
    RequiredActionType,
)
from gateway.recall import build_native_notice, read_recall
from gateway.recall.xsd import NOTICE_SCHEMA

from .conftest import sample
from .outbound_support import assert_outbound_shape

NATIVE_SAMPLES = ["valid-food-class1-gtin-lots.xml", "valid-consumer-upc-serials.xml",
                  "valid-stand-mixer-serials.xml"]


def notice_of(name: str) -> RecallNotice:
    result = read_recall(sample(name))
    assert result.accepted and result.notice is not None
    return result.notice


@pytest.mark.parametrize("name", NATIVE_SAMPLES)
def test_samples_round_trip_exactly(name: str) -> None:
    notice = notice_of(name)
    data = build_native_notice(notice)
    assert_outbound_shape(data, NOTICE_SCHEMA)
    again = read_recall(data)
    assert again.accepted and again.errors == ()
    assert again.notice == notice


@pytest.mark.parametrize("name", NATIVE_SAMPLES)
def test_writing_is_stable(name: str) -> None:
    data = build_native_notice(notice_of(name))
    notice = read_recall(data).notice
    assert notice is not None
    assert build_native_notice(notice) == data


def test_distribution_keeps_its_texts_but_not_whether_each_was_a_country_or_a_state() -> None:
    data = build_native_notice(notice_of("valid-food-class1-gtin-lots.xml"))
    assert b"<Channel>US</Channel>" in data and b"<Country>" not in data


def test_what_the_format_has_no_place_for_is_left_out() -> None:
    notice = replace(
        notice_of("valid-stand-mixer-serials.xml"),
        remedies=("Full refund",),
        dates=(DatedEvent("published", date(2026, 1, 15)),
               DatedEvent("recorded", date(2026, 1, 2))),
        actions=(RequiredAction(RequiredActionType.RETURN, "RETURN",
                                return_to=Identifier("DUNS", "123456789")),))
    again = read_recall(build_native_notice(notice)).notice
    assert again is not None
    assert again.remedies == ()
    assert again.dates == (DatedEvent("published", date(2026, 1, 15)),)
    assert again.actions == (RequiredAction(RequiredActionType.RETURN, "RETURN"),)


def test_model_words_are_written_in_the_formats_spelling() -> None:
    product = notice_of("valid-stand-mixer-serials.xml").products[0]
    notice = replace(notice_of("valid-stand-mixer-serials.xml"), products=(replace(
        product, item_ids=(ItemId(ItemIdScheme.VENDOR_PART, "AX-5"),)),), actions=(
        RequiredAction(RequiredActionType.NOTIFY_CONSUMERS),))
    data = build_native_notice(notice)
    assert b'<Identifier scheme="VENDOR_PART">AX-5</Identifier>' in data
    assert b'<RequiredAction type="NOTIFY_CONSUMERS"/>' in data


def test_a_cpsc_notice_does_not_fit_the_format_and_says_why() -> None:
    notice = read_recall(sample("cpsc-recall-18143-escaped.xml")).notice
    assert notice is not None
    with pytest.raises(ValueError, match=r"recall-notice-1\.0\.xsd.*Party\[5\]"):
        build_native_notice(notice)
