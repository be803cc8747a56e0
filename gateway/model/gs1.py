"""GS1 check digits: GTIN-8/12/13/14, SSCC-18 and GLN (GS1 General Specifications §7.9).

Every GS1 key ends with a mod-10 check digit. From the right of the body (the key without its
check digit), the digits are weighted 3, 1, 3, 1, ...; the check digit brings the weighted sum up
to the next multiple of ten. Pure and standard-library only.
"""

from __future__ import annotations

GTIN_LENGTHS = frozenset({8, 12, 13, 14})
SSCC_LENGTH = 18
GLN_LENGTH = 13


def _is_ascii_digits(value: str) -> bool:
    # str.isdigit alone accepts '¹' or Arabic-Indic digits, which int() or a scanner will not.
    return value.isascii() and value.isdigit()


def check_digit(body: str) -> int:
    """The GS1 mod-10 check digit for ``body`` (a key without its last digit).

    Raises ValueError when ``body`` is empty or not made of ASCII digits.
    """
    if not body or not _is_ascii_digits(body):
        raise ValueError(f"a GS1 key body is ASCII digits, got {body!r}")
    weighted = sum(int(digit) * (3 if position % 2 == 0 else 1)
                   for position, digit in enumerate(reversed(body)))
    return (10 - weighted % 10) % 10


def _key_is_valid(value: str, lengths: frozenset[int]) -> bool:
    if len(value) not in lengths or not _is_ascii_digits(value):
        return False
    return check_digit(value[:-1]) == int(value[-1])


def gtin_is_valid(value: str) -> bool:
    """True for a GTIN-8, GTIN-12 (UPC-A), GTIN-13 (EAN) or GTIN-14 with a right check digit."""
    return _key_is_valid(value, GTIN_LENGTHS)


def sscc_is_valid(value: str) -> bool:
    """True for an 18-digit SSCC with a right check digit (without the ``00`` application id)."""
    return _key_is_valid(value, frozenset({SSCC_LENGTH}))


def gln_is_valid(value: str) -> bool:
    """True for a 13-digit Global Location Number with a right check digit."""
    return _key_is_valid(value, frozenset({GLN_LENGTH}))
