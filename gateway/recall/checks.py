"""GS1 key checks on identifiers found in a document, reported with their line and path."""

from __future__ import annotations

from lxml import etree

from gateway.model.gs1 import GLN_LENGTH, GTIN_LENGTHS, check_digit
from gateway.recall.parse import element_path, line_of
from gateway.recall.result import RecallError, Severity, error


def gtin_errors(value: str, element: etree._Element, *,
                severity: Severity = Severity.ERROR) -> list[RecallError]:
    """A GTIN / UPC / EAN value that is not 8, 12, 13 or 14 digits, or has a wrong check digit."""
    if len(value) not in GTIN_LENGTHS or not (value.isascii() and value.isdigit()):
        where = element_path(element)
        return [error("gtin.format", f"Item id '{value}' at {where} is not a GTIN: a GTIN is "
                      "8, 12, 13 or 14 digits.", line=line_of(element), path=where,
                      severity=severity)]
    expected = check_digit(value[:-1])
    if expected == int(value[-1]):
        return []  # no path: finding one walks the siblings, too dear for every valid id
    where = element_path(element)
    return [error("gtin.check-digit", f"GTIN '{value}' at {where} has the check digit "
                  f"{value[-1]}; its digits give {expected}.", line=line_of(element),
                  path=where, severity=severity)]


def gln_errors(value: str, element: etree._Element) -> list[RecallError]:
    """A wrong GLN check digit. Length and digits are the schema's to report, not ours."""
    if len(value) != GLN_LENGTH or not (value.isascii() and value.isdigit()):
        return []
    expected = check_digit(value[:-1])
    if expected == int(value[-1]):
        return []
    where = element_path(element)
    return [error("gln.check-digit", f"GLN '{value}' at {where} has the check digit "
                  f"{value[-1]}; its digits give {expected}.", line=line_of(element),
                  path=where)]
