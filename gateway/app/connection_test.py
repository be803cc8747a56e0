"""Testing a partner's connection: the steps `gateway partners test` and the console's "Test
connection" both run, each with what came of it.

Connect (the host key pinned in the partner file must match), list the inbound folder (what
waits there, what a poll would skip and why), write a probe into the outbound folder and
remove it again: the four things a poll and a send need. Nothing is taken or left behind.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass

from gateway.app.partners import PartnerSettings
from gateway.app.poll import SkipsEntries
from gateway.app.ports import PartnerChannel
from gateway.errors import TransportError

PROBE = b"returns gateway connection test\n"


@dataclass(frozen=True, slots=True)
class Step:
    outcome: str  # ok | warn | fail
    text: str  # partner text in it (file names, the server's words) is not escaped here


def connection_steps(partner: PartnerSettings,
                     open_channel: Callable[[PartnerSettings], PartnerChannel]) -> list[Step]:
    """Every step as it went; the last is a ``fail`` when one failed."""
    steps: list[Step] = []
    probe = f".gateway-probe-{secrets.token_hex(4)}"
    step = "connect and verify the host key"
    try:
        with open_channel(partner) as channel:
            steps.append(Step("ok", step))
            step = "list the inbound folder"
            files = channel.list_inbound()
            steps.append(Step("ok", f"{step}: {len(files)} file{'s' * (len(files) != 1)} "
                                    "waiting"))
            steps += [Step("warn", f"skipped {entry.name}: {entry.why}")
                      for entry in (channel.skipped if isinstance(channel, SkipsEntries)
                                    else [])]
            step = "write a probe in the outbound folder"
            channel.publish(probe, PROBE)
            steps.append(Step("ok", f"{step} ({probe})"))
            step = "remove the probe"
            channel.remove_outbound(probe)
            steps.append(Step("ok", step))
    except TransportError as exc:
        steps.append(Step("fail", f"{step}: {exc}"))
    return steps
