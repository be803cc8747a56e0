"""GS1 check digits. Expected values are published examples or worked out by hand below."""

from __future__ import annotations

import pytest

from gateway.model.gs1 import check_digit, gln_is_valid, gtin_is_valid, sscc_is_valid

# Each body's check digit, by hand: weights 3, 1, 3, ... from the right of the body.
#   4006381333931 (EAN-13, the common Wikipedia example): 4+0+0+18+3+24+1+9+3+9+9+9 = 89 -> 1
#   036000291452 (UPC-A): 0+3+18+0+0+0+6+9+3+4+15 = 58 -> 2
#   96385074 (EAN-8): 27+6+9+8+15+0+21 = 86 -> 4
#   00012345678905 (GTIN-14 of x12-domain.md 7.1): 0+0+0+1+6+3+12+5+18+7+24+9+0 = 85 -> 5
#   106141411234567897 (SSCC): 3+0+18+1+12+1+12+1+3+2+9+4+15+6+21+8+27 = 143 -> 7
#   0614141000005 (GLN): 0+18+1+12+1+12+1+0+0+0+0+0 = 45 -> 5
VALID_GTINS = ["4006381333931", "036000291452", "96385074", "00012345678905",
               "00614141000012", "614141000036"]


@pytest.mark.parametrize(("body", "digit"), [
    ("400638133393", 1), ("03600029145", 2), ("9638507", 4), ("0001234567890", 5),
    ("10614141123456789", 7), ("061414100000", 5), ("0", 0), ("1", 7),
])
def test_check_digit(body: str, digit: int) -> None:
    assert check_digit(body) == digit


@pytest.mark.parametrize("body", ["", "12a4", "12 34", "١٢٣", "¹23"])
def test_check_digit_refuses_what_is_not_ascii_digits(body: str) -> None:
    with pytest.raises(ValueError, match="ASCII digits"):
        check_digit(body)


@pytest.mark.parametrize("value", VALID_GTINS)
def test_valid_gtins(value: str) -> None:
    assert gtin_is_valid(value)


@pytest.mark.parametrize("value", [
    "4006381333932",  # last digit off by one
    "036000291453",
    "96385075",
    "00012345678904",
    "00614141000013",
    "4006381333931 ",  # trailing space
    "400638133393",  # 12 digits, but the check digit of a 12-digit key is not 3
    "0000000000",  # 10 digits: no such GTIN length
    "12345678901234567",  # 17 digits
    "",
    "40063813339٣1",  # an Arabic-Indic digit among ASCII digits
])
def test_invalid_gtins(value: str) -> None:
    assert not gtin_is_valid(value)


def test_every_wrong_last_digit_is_caught() -> None:
    for valid in VALID_GTINS:
        for digit in "0123456789":
            if digit != valid[-1]:
                assert not gtin_is_valid(valid[:-1] + digit)


def test_sscc() -> None:
    assert sscc_is_valid("106141411234567897")
    assert not sscc_is_valid("106141411234567898")
    assert not sscc_is_valid("00106141411234567897")  # with the (00) application id
    assert not sscc_is_valid("4006381333931")  # a GTIN is no SSCC


def test_gln() -> None:
    assert gln_is_valid("0614141000005")
    assert gln_is_valid("0614141000012")
    assert not gln_is_valid("0614141000006")
    assert not gln_is_valid("614141000005")  # 12 digits
