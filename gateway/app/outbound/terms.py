"""What the outbound use cases need to know about a partner, and about us."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from gateway.app.ports import OutboundStore
from gateway.domain.rma_policy import ReturnsPolicy
from gateway.x12.ack import Identity
from gateway.x12.isa import Delimiters


@dataclass(frozen=True, slots=True)
class Counterparty:
    """A partner as the outbound side sees it (built from its partner file by bootstrap)."""

    id: str
    name: str
    role: str
    isa_qualifier: str
    isa_id: str
    gs_id: str
    version: str = "004010"
    delimiters: Delimiters | None = None
    timezone: str = "UTC"
    policy: ReturnsPolicy | None = None  # how its 180 requests are decided; None: by a person
    status_form: str | None = None  # x12-180 | x12-214 | xml; None: no status updates
    status_states: frozenset[str] = frozenset()
    recall_form: str = "none"  # xml | none
    ack_within: timedelta | None = None  # its 997 for what we send is overdue after this


@dataclass(frozen=True, slots=True)
class Outbound:
    """The context every outbound use case runs in."""

    store: OutboundStore
    identity: Identity  # who we are on the wire
    parties: Mapping[str, Counterparty] = field(default_factory=dict)
