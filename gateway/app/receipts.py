"""A case's receiving advices (861) and their findings, as every face shows them: `gateway
show`, the console's case page and the JSON API read the same rows from here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from gateway.domain.receipts import (
    CONDITION_WORDS,
    ReceiptFinding,
    item_name,
    number_words,
    receipt_findings,
)
from gateway.domain.return_case import Receipt, ReturnCase
from gateway.model import Quantity, ReceivedLine


def receipts_json(case: ReturnCase) -> dict[str, Any]:
    """``receipts`` (each advice that counts, line by line) and ``receipt_findings``; both
    empty lists for a case no return centre has reported on."""
    return {"receipts": [_receipt_json(receipt) for receipt in case.current_receipts],
            "receipt_findings": [finding_json(f) for f in receipt_findings(case)]}


def finding_json(finding: ReceiptFinding) -> dict[str, Any]:
    return {"kind": finding.kind.value, "item": finding.item,
            "quantity": _number(finding.quantity), "unit": finding.unit,
            "where": list(finding.where), "against": list(finding.against),
            "condition_code": finding.condition_code, "text": finding.text}


def receipt_text(case: ReturnCase) -> list[str]:
    """The lines `gateway show` prints (not yet escaped: the caller escapes the whole block)."""
    lines: list[str] = []
    for receipt in case.current_receipts:
        lines.append(f"  received: {receipt.cause} at {receipt.at:%Y-%m-%d %H:%M%z}"
                     f"{_centre_words(receipt)}")
        lines += [f"    line {row['line']}: {row['item']}: {row['summary']}"
                  for row in (_line_json(line) for line in receipt.advice.lines)]
    lines += [f"  receipt finding: {finding.text}" for finding in receipt_findings(case)]
    return lines


def _receipt_json(receipt: Receipt) -> dict[str, Any]:
    advice = receipt.advice
    return {"receipt": str(receipt.cause), "receipt_id": advice.receipt_id,
            "received_at": receipt.at.isoformat(), "centre": _centre(receipt),
            "condition_code": advice.condition_code,
            "lines": [_line_json(line) for line in advice.lines]}


def _line_json(line: ReceivedLine) -> dict[str, Any]:
    return {"line": line.line_number, "assigned_id": line.assigned_id,
            "item": _item(line), "serials": list(line.serials),
            "received": _quantity(line.quantity_received),
            "returned": _quantity(line.quantity_returned),
            "shipped": _quantity(line.quantity_shipped),
            "in_question": [{**(_quantity(q.quantity) or {}), "condition": _value(q.condition),
                             "condition_code": q.condition_code,
                             "words": CONDITION_WORDS.get(q.condition_code or "")}
                            for q in line.in_question],
            "summary": _summary(line)}


def _summary(line: ReceivedLine) -> str:
    """'1 EA received; 1 EA damaged product or container' for a person."""
    parts = [f"{_amount(line.quantity_received)} received"]
    if line.quantity_returned is not None and line.quantity_returned.value:
        parts.append(f"{_amount(line.quantity_returned)} refused and sent back")
    parts += [f"{_amount(q.quantity)} "
              f"{CONDITION_WORDS.get(q.condition_code or '', q.condition_code or '?')}"
              for q in line.in_question]
    return "; ".join(parts)


def _item(line: ReceivedLine) -> str:
    name = item_name(line.item_ids) or "no item id"
    serials = f" serial {', '.join(line.serials)}" if line.serials else ""
    return f"{name}{serials}" + (f" ({line.description})" if line.description else "")


def _centre(receipt: Receipt) -> str | None:
    for party in receipt.advice.parties:
        if party.role_code == "ST":
            ids = [i.value for i in party.identifiers]
            return party.name or (ids[0] if ids else None)
    return None


def _centre_words(receipt: Receipt) -> str:
    centre = _centre(receipt)
    return f" by {centre}" if centre else ""


def _quantity(quantity: Quantity | None) -> dict[str, Any] | None:
    if quantity is None:
        return None
    return {"value": _number(quantity.value), "unit": quantity.unit}


def _amount(quantity: Quantity | None) -> str:
    if quantity is None:
        return "no quantity"
    number = _number(quantity.value)
    return f"{number} {quantity.unit}" if quantity.unit else str(number)


def _number(value: Decimal | None) -> str | None:
    return number_words(value) if value is not None else None


def _value(code: object) -> str | None:
    return str(code) if code is not None else None
