"""What every outbound use case runs with: the store, who we are, and each partner's settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.app.partners import PartnerSettings
from gateway.app.ports import OutboundStore
from gateway.x12.write import Identity


@dataclass(frozen=True, slots=True)
class Outbound:
    """The context every outbound use case runs in."""

    store: OutboundStore
    identity: Identity  # who we are on the wire
    parties: Mapping[str, PartnerSettings] = field(default_factory=dict)  # by partner id
