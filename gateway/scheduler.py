"""`gateway run`: the daemon. APScheduler 3.11 is only a local timer here: the jobs are built
from the partner files at start and whenever those files change, and are never stored.

- one job per partner, on its schedule (`every` or `cron`, in the partner's time zone);
- never two polls of one partner at once (`max_instances=1`), missed runs coalesced into one;
- a job that sends what the outbox owes between polls (acknowledgements of files taken by
  `gateway ingest`, or whose upload failed), skipping a partner whose poll is running: the
  poll sends them itself;
- a poll retries transient failures itself; a permanent one (authentication, host key, a
  missing folder) is reported loudly and the partner is backed off until someone fixes it;
- after each file is stored, the outbound reactions run (RMA answers, status updates,
  recall notifications: gateway.outbound), and once at start for the last day's documents,
  in case the gateway stopped between a file's commit and its reactions;
- a job raises an alert (log line, optional signed webhook) for each acknowledgement that
  became overdue under its partner's SLA;
- partner files are re-read when they change; a broken edit is reported and the running
  configuration kept;
- SIGTERM / SIGINT stop taking new polls and wait for the ones in flight to finish.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from gateway.alerts import raise_overdue
from gateway.bootstrap import (
    GatewayConfig,
    alerter,
    ingest_ports,
    open_channel,
    open_store,
    outbound_context,
)
from gateway.errors import ConfigError, GatewayError, PermanentTransportError, TransportError
from gateway.outbound.react import react
from gateway.partners import Partner, load_partners
from gateway.pipeline import IngestResult
from gateway.polling import PollReport, poll_once, send_pending
from gateway.ports import StoredDocument
from gateway.transport.retry import with_retries

log = logging.getLogger("gateway.run")
BACKOFF = timedelta(minutes=15)  # after a permanent failure: nobody fixes a key in seconds
CATCH_UP = timedelta(days=1)  # documents whose follow-ups a stop may have interrupted


class Daemon:
    def __init__(self, config: GatewayConfig, *, settle: float, reload_every: float = 5.0,
                 outbox_every: float = 30.0) -> None:
        self.config, self.settle, self.reload_every = config, settle, reload_every
        self.outbox_every = outbox_every
        self.busy: dict[str, threading.Lock] = {}  # per partner: a poll or a send in progress
        self.backed_off: dict[str, datetime] = {}  # partner: until when
        self.store = open_store(config)
        self.folder = config.paths["partners"]
        self.partners: dict[str, Partner] = {}
        self.signature: tuple[tuple[str, float], ...] = ()
        self.stopping = threading.Event()
        self.reacting = threading.Lock()
        self.alerter = alerter(config)
        self.outbound = outbound_context(config, self.store, {})
        self.scheduler = BackgroundScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 300})

    def run(self) -> int:
        self._load()  # a broken partner file at start-up stops here, naming file and key
        self.scheduler.add_job(self._reload_if_changed, IntervalTrigger(
            seconds=self.reload_every), id="reload-partners")
        self.scheduler.add_job(self._send_outbox, IntervalTrigger(
            seconds=self.outbox_every), id="send-outbox")
        self.scheduler.add_job(self._check_acks, IntervalTrigger(
            seconds=self.outbox_every), id="check-acks")
        self.scheduler.add_job(self._catch_up, id="catch-up")  # once, now
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        self.scheduler.start()
        log.info("started: %d partners (%s)", len(self.partners), ", ".join(self.partners))
        self.stopping.wait()
        log.info("stopping: no new polls; waiting for polls in progress to finish")
        self.scheduler.shutdown(wait=True)
        log.info("stopped")
        return 0

    # --- partner files -----------------------------------------------------------------------
    def _load(self) -> None:
        partners = load_partners(self.folder)
        for gone in set(self.partners) - set(partners):
            self.scheduler.remove_job(f"poll:{gone}")
            log.info("%s: partner file removed; no longer polled", gone)
        for partner in partners.values():
            self._schedule(partner, new=partner.id not in self.partners)
        self.partners, self.signature = partners, _signature(self.folder)
        self.outbound = outbound_context(self.config, self.store, partners)

    def _reload_if_changed(self) -> None:
        if _signature(self.folder) == self.signature:
            return
        try:
            self._load()
            log.info("partner files reloaded: %s", ", ".join(self.partners) or "none")
        except ConfigError as exc:
            self.signature = _signature(self.folder)  # report a broken edit once, not forever
            log.error("partner files not reloaded, the running ones are kept: %s", exc)

    def _schedule(self, partner: Partner, *, new: bool) -> None:
        if partner.cron:
            trigger: Any = CronTrigger.from_crontab(partner.cron, timezone=partner.timezone)
        else:
            trigger = IntervalTrigger(seconds=partner.every_seconds or 60)
        extra = {"next_run_time": datetime.now(UTC)} if new else {}
        self.scheduler.add_job(self._poll, trigger, args=[partner.id], id=f"poll:{partner.id}",
                               replace_existing=True, **extra)

    # --- one poll ------------------------------------------------------------------------------
    def _poll(self, partner_id: str) -> None:
        partner = self.partners.get(partner_id)
        if partner is None or self.stopping.is_set():
            return
        ports, settings = ingest_ports(self.config, self.store, partner)
        try:
            with self._busy(partner_id):
                report = with_retries(lambda: poll_once(
                    partner.id, open_channel(partner), ports, settings, self.store,
                    clock=_now, settle=self.settle, sleep=time.sleep,
                    after_file=self._react))
        except PermanentTransportError as exc:
            log.error("%s: cannot be polled, backing off %s until fixed: %s", partner_id,
                      BACKOFF, exc)
            until = datetime.now(UTC) + BACKOFF
            self.backed_off[partner_id] = until
            self.scheduler.modify_job(f"poll:{partner_id}", next_run_time=until)
            return
        except TransportError as exc:
            log.warning("%s: poll failed after retries, next poll as scheduled: %s",
                        partner_id, exc)
            return
        self.backed_off.pop(partner_id, None)
        _log_report(report)

    # --- the outbox between polls ------------------------------------------------------------
    def _send_outbox(self) -> None:
        owed = sorted({partner for _id, partner, _item in self.store.pending_outbox()})
        for partner_id in owed:
            partner = self.partners.get(partner_id)
            if partner is None or self.stopping.is_set() or self._backing_off(partner_id):
                continue  # not ours to send, shutting down, or failing until someone acts
            lock = self._busy(partner_id)
            if not lock.acquire(blocking=False):
                continue  # its poll is running and sends what is owed itself
            try:
                with open_channel(partner) as channel:
                    sent = send_pending(partner_id, channel, self.store, clock=_now)
            except TransportError as exc:
                log.warning("%s: outbox not sent, kept for the next try: %s", partner_id, exc)
                continue
            finally:
                lock.release()
            for name in sent:
                log.info("%s: sent %s", partner_id, name)

    # --- outbound reactions and acknowledgement SLAs ------------------------------------------
    def _react(self, result: IngestResult) -> None:
        file_id = result.duplicate_of or result.file_id  # see react_to_file
        self._react_to(self.store.documents_of_file(file_id), file_id)

    def _react_to(self, documents: list[StoredDocument], file_id: int | None) -> None:
        if not documents:
            return
        try:
            with self.reacting:  # two partners' polls must not decide the same case at once
                reactions = react(self.outbound, documents, _now(), file_id)
        except (GatewayError, ValueError) as exc:
            log.error("file #%s: stored, but its follow-ups failed (retried at the next "
                      "start): %s", file_id, exc)
            return
        for line in reactions.lines():
            log.info("%s", line)

    def _catch_up(self) -> None:
        self._react_to(self.store.documents_since(_now() - CATCH_UP), None)

    def _check_acks(self) -> None:
        for row in raise_overdue(self.store, self.alerter, _now()):
            log.warning("%s: acknowledgement of %s %s overdue", row.partner, row.kind,
                        row.control_number)

    def _busy(self, partner_id: str) -> threading.Lock:
        # setdefault is atomic under the GIL: two jobs never get different locks for a partner.
        return self.busy.setdefault(partner_id, threading.Lock())

    def _backing_off(self, partner_id: str) -> bool:
        until = self.backed_off.get(partner_id)
        return until is not None and datetime.now(UTC) < until


def _now() -> datetime:
    return datetime.now().astimezone()


def _log_report(report: PollReport) -> None:
    for name, result in report.taken:
        log.info("%s: took %s: file #%d %s", report.partner, name, result.file_id,
                 result.state)
    for name, why in report.waiting:
        log.info("%s: left %s: %s", report.partner, name, why)
    for name in report.sent:
        log.info("%s: sent %s", report.partner, name)


def _signature(folder: Path) -> tuple[tuple[str, float], ...]:
    return tuple((p.name, p.stat().st_mtime) for p in sorted(folder.glob("*.yaml")))
