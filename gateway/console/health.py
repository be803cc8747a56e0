"""Each partner's health at a glance: what came in last, what went wrong, what is owed.

The badge is ``failing`` when the partner cannot be worked with as things stand (its file is
broken, its last file failed, or a document to it is held as invalid), ``attention`` when
something needs a person soon (an overdue acknowledgement, a failed file in the last 24 hours,
a file with a set that did not map, a long backlog), and ``ok`` otherwise. Unlike a failed file
(the partner sends a corrected one), an unmapped file waits on us: it counts until replayed,
however old.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from gateway.app.partners import PartnerSettings
from gateway.app.ports import GatewayStore, PollRecord, StoredFile
from gateway.bootstrap import usable_partners
from gateway.config.partners import checked_partner
from gateway.config.settings import GatewayConfig
from gateway.model.states import FAILED_STATES

RECENT = timedelta(hours=24)
BACKLOG_ATTENTION = 25  # pending outbox items beyond which a person should look at delivery
LOOK_BACK_FILES = 5000  # files of the last 24 h counted per partner, at most


@dataclass
class PartnerHealth:
    partner_id: str
    settings: PartnerSettings | None  # its partner file; None: the store knows it, no file does
    last_file: StoredFile | None = None
    failed_files_24h: int = 0
    errors_24h: int = 0
    backlog: int = 0
    overdue: int = 0
    held: int = 0
    unmapped_files: int = 0  # files with a set validation accepted that did not map
    files_today: int = 0  # since midnight, in the console's time zone
    rejects_today: int = 0
    last_poll: PollRecord | None = None  # the daemon's, when `gateway run` polls it
    reasons: list[str] = field(default_factory=list)
    badge: str = "ok"

    @property
    def name(self) -> str:
        return (self.settings.name if self.settings else "") or self.partner_id

    @property
    def role(self) -> str:
        """Its role; "?" when its file does not say one we know, "-" when it has no file."""
        return (self.settings.role or "?") if self.settings else "-"

    @property
    def source(self) -> Path | None:
        return self.settings.source if self.settings else None

    @property
    def problems(self) -> tuple[str, ...]:
        """What its partner file's checker found wrong (nothing without a file)."""
        return self.settings.problems if self.settings else ()


def partner_files(config: GatewayConfig) -> list[PartnerSettings]:
    """Every partner file: the usable ones, and the broken ones with their problems."""
    usable = usable_partners(config)
    found = list(usable.values())
    sources = {p.source for p in usable.values()}
    for path in sorted(config.paths["partners"].glob("*.yaml")):
        if path not in sources:
            found.append(checked_partner(path))
    return sorted(found, key=lambda p: p.id)


def partners_health(store: GatewayStore, config: GatewayConfig, now: datetime
                    ) -> list[PartnerHealth]:
    files = partner_files(config)
    known = {p.id for p in files}
    polls = store.poll_records()
    # A partner the store heard from without a partner file (e.g. `gateway ingest --partner`)
    # is shown too: its problems are still ours.
    return ([health_of(store, p.id, p, now, polls.get(p.id)) for p in files]
            + [health_of(store, partner_id, None, now, polls.get(partner_id))
               for partner_id in sorted(partners_in_store(store) - known)])


def partners_in_store(store: GatewayStore) -> set[str]:
    return store.partners_seen()


def health_of(store: GatewayStore, partner_id: str, settings: PartnerSettings | None,
              now: datetime, last_poll: PollRecord | None = None) -> PartnerHealth:
    recent = store.recent_files(partner=partner_id, since=now - RECENT, limit=LOOK_BACK_FILES)
    today = [r for r in recent
             if r.file.received_at >= now.replace(hour=0, minute=0, second=0, microsecond=0)]
    last = store.recent_files(partner=partner_id, limit=1)
    health = PartnerHealth(
        partner_id, settings, last[0].file if last else None,
        failed_files_24h=sum(1 for r in recent if r.file.state in FAILED_STATES),
        errors_24h=sum(r.errors for r in recent),
        backlog=len(store.pending_outbox(partner_id)),
        overdue=len(store.outbound(partner=partner_id, overdue_at=now)),
        held=len(store.outbound(partner=partner_id, held=True)),
        unmapped_files=len(store.recent_files(partner=partner_id, unmapped=True,
                                              limit=LOOK_BACK_FILES)),
        files_today=len(today),
        rejects_today=sum(1 for r in today if r.file.state in FAILED_STATES),
        last_poll=last_poll)
    _judge(health)
    return health


def _judge(health: PartnerHealth) -> None:
    failing = [*health.problems,
               *(["the last file was " + health.last_file.state]
                 if health.last_file and health.last_file.state in FAILED_STATES else []),
               *([_count(health.held, "document") + " held as invalid"] if health.held else [])]
    attention = [
        *([_count(health.overdue, "acknowledgement") + " overdue"] if health.overdue else []),
        *([_count(health.failed_files_24h, "failed file") + " in 24 h"]
          if health.failed_files_24h else []),
        *([_count(health.unmapped_files, "file") + " with sets not mapped (fix the mapping, "
           "then gateway replay --unmapped)"] if health.unmapped_files else []),
        *([f"{health.backlog} items waiting to be sent"]
          if health.backlog >= BACKLOG_ATTENTION else []),
        *(["no partner file: its files were taken with the gateway's defaults"]
          if health.settings is None else []),
        *([f"the last poll failed: {health.last_poll.error}"]
          if health.last_poll is not None and not health.last_poll.ok else [])]
    health.reasons = failing + attention
    health.badge = "failing" if failing else "attention" if attention else "ok"


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}{'s' * (n != 1)}"

