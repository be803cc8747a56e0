"""Who may send what: the documents a partner's role lets it send, widened or narrowed by its
partner file.

A document asserts something about a return or a recall, and only some parties know it: a
retailer asks to return goods and ships them back, a vendor answers, a carrier reports where a
shipment is, a recall coordinator issues recalls. A document outside its sender's authority is
refused (never stored, never folded into a case, never used for recall holds), whatever its
syntax. Acknowledgements (997, 999, TA1) are not in this vocabulary: they are always taken,
because each is matched only to what we sent that same partner.

Defaults per role (`ROLE_DEFAULTS`):

- ``retailer``: ``return-request``, ``return-notification``, ``return-shipment``;
- ``vendor``: ``return-answer``;
- ``carrier``: ``shipment-status``;
- ``recall-coordinator``: ``recall-notice``;
- ``return-centre`` (a reverse-logistics provider's dock, or a retailer's): ``receiving-advice``;
- ``vendor`` also ``receiving-advice``: the goods come back to the vendor's own return centre;
- every role: ``recall-response`` (the pipeline also checks that we sent that partner the
  notification it answers).

An 856 return shipment says the goods left the ship-from party: the retailer sending its
return back knows that, the vendor receiving it does not, so a vendor's 856 is refused unless
its partner file allows ``return-shipment`` (a vendor that books the pickup itself). An 861
says what arrived at a dock: only the party whose dock it is knows that, so a retailer's or a
carrier's 861 is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from gateway.model import (
    CanonicalDocument,
    RecallNotice,
    ReceivingAdvice,
    ReturnAuthorization,
    ReturnShipment,
    ReturnStage,
    ShipmentStatusReport,
)


class PartnerDocument(StrEnum):
    """What a partner can send us, as partner files name it."""

    RETURN_REQUEST = "return-request"  # 180, stage request (BGN01 00 and the like)
    RETURN_ANSWER = "return-answer"  # 180, stage authorization (BGN01 11, RDR01 RA/PA/RD)
    RETURN_NOTIFICATION = "return-notification"  # 180, goods already sent back (RDR01 CR/RN)
    RETURN_SHIPMENT = "return-shipment"  # 856
    SHIPMENT_STATUS = "shipment-status"  # 214
    RECEIVING_ADVICE = "receiving-advice"  # 861: what arrived at a return centre's dock
    RECALL_NOTICE = "recall-notice"  # XML recall notice: a new notice, a version, a cancel
    RECALL_RESPONSE = "recall-response"  # XML answer to our recall notification


# In words, for findings, acknowledgements and alerts.
DESCRIPTIONS: dict[PartnerDocument, str] = {
    PartnerDocument.RETURN_REQUEST: "180 return requests",
    PartnerDocument.RETURN_ANSWER: "180 answers to return requests (authorizations)",
    PartnerDocument.RETURN_NOTIFICATION: "180 return notifications",
    PartnerDocument.RETURN_SHIPMENT: "856 return shipments",
    PartnerDocument.SHIPMENT_STATUS: "214 shipment status reports",
    PartnerDocument.RECEIVING_ADVICE: "861 receiving advices",
    PartnerDocument.RECALL_NOTICE: "recall notices",
    PartnerDocument.RECALL_RESPONSE: "recall responses",
}

ROLE_DEFAULTS: dict[str, frozenset[PartnerDocument]] = {
    "retailer": frozenset({PartnerDocument.RETURN_REQUEST, PartnerDocument.RETURN_NOTIFICATION,
                           PartnerDocument.RETURN_SHIPMENT, PartnerDocument.RECALL_RESPONSE}),
    "vendor": frozenset({PartnerDocument.RETURN_ANSWER, PartnerDocument.RECEIVING_ADVICE,
                         PartnerDocument.RECALL_RESPONSE}),
    "carrier": frozenset({PartnerDocument.SHIPMENT_STATUS, PartnerDocument.RECALL_RESPONSE}),
    "recall-coordinator": frozenset({PartnerDocument.RECALL_NOTICE,
                                     PartnerDocument.RECALL_RESPONSE}),
    "return-centre": frozenset({PartnerDocument.RECEIVING_ADVICE,
                                PartnerDocument.RECALL_RESPONSE}),
}

# Words a partner file may not list, and why (an admin reaching for them means well).
ALWAYS_TAKEN = frozenset({"acknowledgement", "acknowledgements", "997", "999", "ta1"})


@dataclass(frozen=True, slots=True)
class DocumentAuthority:
    """The documents one partner may send: its role's defaults, or what its file says."""

    partner: str
    role: str
    allowed: frozenset[PartnerDocument]
    configured: bool = False  # its partner file widened or narrowed the role's defaults

    def refusal(self, document: PartnerDocument) -> str | None:
        """Why ``document`` from this partner is refused, in words; None when it may send it."""
        if document in self.allowed:
            return None
        what = DESCRIPTIONS[document]
        if self.configured and document in ROLE_DEFAULTS.get(self.role, frozenset()):
            return f"{self.partner} may not send {what}: its partner file takes them away"
        senders = " or ".join(role for role, kinds in ROLE_DEFAULTS.items() if document in kinds)
        return (f"{self.partner} is a {self.role or 'partner without a role'} and may not send "
                f"{what}: they come from {senders} partners, unless the partner file allows "
                "them (documents)")


def role_authority(partner: str, role: str) -> DocumentAuthority:
    """The role's defaults, untouched."""
    return DocumentAuthority(partner, role, ROLE_DEFAULTS.get(role, frozenset()))


def adjusted_authority(partner: str, role: str, *, exactly: Iterable[PartnerDocument] | None,
                       allow: Iterable[PartnerDocument] = (),
                       deny: Iterable[PartnerDocument] = ()) -> DocumentAuthority:
    """``exactly`` replaces the role's defaults; otherwise they are widened by ``allow`` and
    narrowed by ``deny``."""
    base = frozenset(exactly) if exactly is not None else ROLE_DEFAULTS.get(role, frozenset())
    return DocumentAuthority(partner, role, (base | frozenset(allow)) - frozenset(deny),
                             configured=True)


def document_kind(document: CanonicalDocument) -> PartnerDocument:
    """Which of the partner documents ``document`` is: a 180 by its stage."""
    if isinstance(document, ReturnAuthorization):
        return {ReturnStage.REQUEST: PartnerDocument.RETURN_REQUEST,
                ReturnStage.AUTHORIZATION: PartnerDocument.RETURN_ANSWER,
                ReturnStage.NOTIFICATION: PartnerDocument.RETURN_NOTIFICATION}[document.stage]
    if isinstance(document, ReturnShipment):
        return PartnerDocument.RETURN_SHIPMENT
    if isinstance(document, ShipmentStatusReport):
        return PartnerDocument.SHIPMENT_STATUS
    if isinstance(document, ReceivingAdvice):
        return PartnerDocument.RECEIVING_ADVICE
    if isinstance(document, RecallNotice):
        return PartnerDocument.RECALL_NOTICE
    raise TypeError(f"not a canonical document: {type(document).__name__}")  # pragma: no cover
