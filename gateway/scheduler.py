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
  recall notifications: gateway.app.outbound), and once at start for the last day's documents,
  in case the gateway stopped between a file's commit and its reactions;
- a job raises an alert (log line, optional signed webhook) for each acknowledgement that
  became overdue under its partner's SLA, and for each recall whose required action is due
  within `alerts.recall_deadline_days` while recipients have not answered; a rejected file
  (or one refused unread as over `limits.file_size`), a file with a set that did not map, a
  file with documents outside its sender's authority, a document whose follow-ups failed and
  a partner that cannot be reached are alerted as they happen (once each: gateway.app.watchers);
- one document's follow-ups failing never stops the others', nor the catch-up at start;
- every log line carries what it is about (partner, file id and name, control numbers, the
  outbox kind and control number) as fields, for `--log-format json`;
- `--metrics-port` serves Prometheus metrics (gateway.monitoring.metrics);
- each subscriber of the event feed (``subscribers/<name>.yaml``) has a job of its own, in
  threads of its own, that delivers what it is owed (gateway.app.delivery): a slow or dead
  subscriber holds up neither the polls nor the other subscribers;
- partner files are re-read when they change; a broken edit is reported and the running
  configuration kept;
- several nodes share one PostgreSQL (gateway.app.cluster): a node polls a partner, sends its
  outbox and delivers to a subscriber only while it holds that lease; a heartbeat job renews
  them and spreads the work; a partner's outage, its back-off and every alert live in the
  store, so another node that takes the partner over carries on where this one stopped;
- SIGTERM / SIGINT stop taking new polls and wait for the ones in flight to finish, then
  give this node's leases back for the other nodes.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from gateway.app.delivery import Subscription, deliver_round
from gateway.app.ingest import FileControls, IngestResult
from gateway.app.outbound.react import Reactions, react
from gateway.app.partners import PartnerSettings
from gateway.app.poll import PollReport, PollRetry, Sender, poll_partner, publish_pending
from gateway.app.ports import OutboxItem, PollRecord, StoredDocument
from gateway.app.programs import recent_program_counts
from gateway.app.watchers import (
    AlertMemory,
    file_too_large,
    follow_up_failed,
    partner_reachable,
    partner_unreachable,
    raise_overdue,
    raise_recall_deadlines,
    refused_document,
    rejected_file,
    unmapped_file,
)
from gateway.bootstrap import (
    alerter,
    local_now,
    open_channel,
    open_store,
    outbound_context,
    partner_leases,
    poll_context,
    subscribers,
    webhook_sender,
)
from gateway.config.partners import load_partners
from gateway.config.programs import load_program_rules
from gateway.config.settings import GatewayConfig
from gateway.errors import ConfigError, PermanentTransportError, TransportError
from gateway.model.states import REJECTED_STATES
from gateway.monitoring.logs import RedactingFilter, env_values
from gateway.monitoring.metrics import GatewayMetrics, StoreSnapshot
from gateway.transport.retry import with_retries

log = logging.getLogger("gateway.run")
BACKOFF = timedelta(minutes=15)  # after a permanent failure: nobody fixes a key in seconds
DELIVERY = "delivery"  # the executor whose threads deliver the event feed to subscribers
# The heartbeat's own thread: ten long polls filling the default pool must not keep it from
# renewing their leases
CLUSTER = "cluster"
CATCH_UP = timedelta(days=1)  # documents whose follow-ups a stop may have interrupted
NODE_HISTORY = timedelta(days=7)  # how long `gateway nodes` remembers a node that is gone
PROGRAM_METRICS_EVERY = 300.0  # seconds between two counts of return cases by program


class Daemon:
    def __init__(self, config: GatewayConfig, *, settle: float, reload_every: float = 5.0,
                 outbox_every: float = 30.0, metrics_at: tuple[str, int] | None = None,
                 redactor: RedactingFilter | None = None, retries: PollRetry = with_retries,
                 backoff: timedelta = BACKOFF, deliver_every: float = 5.0,
                 node_name: str | None = None) -> None:
        self.config, self.reload_every = config, reload_every
        self.outbox_every, self.metrics_at, self.redactor = outbox_every, metrics_at, redactor
        self.backoff, self.deliver_every = backoff, deliver_every
        self.busy: dict[str, threading.Lock] = {}  # per partner: a poll or a send in progress
        self.poll_jobs: dict[str, Job] = {}  # per partner: its job, read for the next run time
        self.store = open_store(config)
        self.leases = partner_leases(config, self.store, node_name)
        self.folder = config.paths["partners"]
        self.partners: dict[str, PartnerSettings] = {}
        self.signature: tuple[tuple[str, float], ...] = ()
        self.stopping = threading.Event()
        self.reacting = threading.Lock()
        self.metrics = GatewayMetrics(self._store_snapshot)
        self.alerter = alerter(config)
        self.alerter.on_alert = lambda alert: self.metrics.alert_raised(alert.kind,
                                                                        alert.partner)
        self.alerts = AlertMemory(self.alerter, self.store, node=self.leases.node_id)
        self.outbound = outbound_context(config, self.store, {})
        # Polls and outbox sends open a partner's channel the same way.
        self.sender = Sender(self.leases.node_id, timedelta(seconds=config.cluster.lease_seconds))
        self.polling = poll_context(config, self.store, self._react, settle=settle,
                                    retry=retries, observer=self.metrics, channels=open_channel,
                                    sender=self.sender)
        # Subscribers get threads of their own: a slow one never holds up a poll; the
        # heartbeat one too.
        self.scheduler = BackgroundScheduler(timezone=UTC, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": 300}, executors={
            "default": ThreadPoolExecutor(10), DELIVERY: ThreadPoolExecutor(4),
            CLUSTER: ThreadPoolExecutor(1)})
        self.webhooks = webhook_sender()
        self.subscriptions: dict[str, Subscription] = {}
        # (when, what) of the last program counts for the metrics (_program_counts)
        self._programs_at: tuple[float, tuple[dict[tuple[str, str], int],
                                              dict[tuple[str, str], float]]] | None = None

    def prepare(self) -> None:
        """Read the partner and subscriber files (a broken one stops here, naming file and
        key) and join the other nodes on the store; `run` starts with this."""
        self._load()
        self.subscriptions = subscribers(self.config)
        self.leases.start(self._lease_count())
        self._forget_old_nodes()
        log.info("node %s (%s) joined: it takes its share of %d partners and subscribers",
                 self.leases.node.name, self.leases.node_id, self._lease_count(),
                 extra={"node": self.leases.node.name})

    def run(self) -> int:
        self.prepare()
        self.scheduler.add_job(self._heartbeat, IntervalTrigger(
            seconds=self.config.cluster.heartbeat_seconds), id="heartbeat", executor=CLUSTER)
        self.scheduler.add_job(self._send_outbox, IntervalTrigger(
            seconds=self.outbox_every), id="send-outbox")
        self.scheduler.add_job(self._check_acks, IntervalTrigger(
            seconds=self.outbox_every), id="check-acks")
        self.scheduler.add_job(self._check_recall_deadlines, IntervalTrigger(
            seconds=self.outbox_every), id="check-recall-deadlines",
            next_run_time=datetime.now(UTC))
        self.scheduler.add_job(self._catch_up, id="catch-up")  # once, now
        for subscription in self.subscriptions.values():
            self.scheduler.add_job(self._deliver, IntervalTrigger(seconds=self.deliver_every),
                                   args=[subscription], id=f"deliver:{subscription.name}",
                                   executor=DELIVERY, next_run_time=datetime.now(UTC))
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self.stopping.set())
        server = self._serve_metrics()
        self.scheduler.start()
        log.info("started: %d partners (%s)", len(self.partners), ", ".join(self.partners))
        # Partner files are re-read here, on the main thread, never in a job: APScheduler 3
        # holds its job-store lock while shutdown waits for the jobs in flight, so a job that
        # touched the schedule then would wait for ever (no job calls the scheduler at all).
        while not self.stopping.wait(self.reload_every):
            self._reload_if_changed()
        log.info("stopping: no new polls; waiting for polls in progress to finish")
        self.scheduler.shutdown(wait=True)
        self.leases.stop()  # the other nodes take this node's partners now, not in a lease
        if server is not None:
            server.shutdown()
        log.info("stopped")
        return 0

    def _serve_metrics(self) -> Any:
        if self.metrics_at is None:
            return None
        host, port = self.metrics_at
        try:
            server = self.metrics.serve(port, host)
        except OSError as exc:  # the port is taken or the address is not ours: say which
            raise ConfigError("gateway run", "--metrics-port",
                              f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
        log.info("metrics on http://%s:%d/metrics", host, server.server_port,
                 extra={"metrics_port": server.server_port})
        return server

    def _store_snapshot(self) -> StoreSnapshot:
        """What Prometheus reads at each scrape, straight from the store; every configured
        partner has a value (0 included), so a dashboard tells "none" from "no data"."""
        zero = dict.fromkeys(self.partners, 0)
        pending = self.store.count_outbound(pending=True)
        overdue = self.store.count_outbound(overdue_at=local_now())
        held = self.store.count_outbound(held=True)
        cases, units = self._program_counts()
        return StoreSnapshot(zero | pending, zero | overdue, zero | held, cases, units)

    def _program_counts(self) -> tuple[dict[tuple[str, str], int],
                                       dict[tuple[str, str], float]]:
        """The last week's cases and units by program, worked out at most every
        PROGRAM_METRICS_EVERY (each is a walk over a week of cases, not a count); a rules
        file that does not read leaves these gauges out and says why, the others stay."""
        now = time.monotonic()
        # An empty week costs nothing to count again: only a real count is kept a while
        if self._programs_at is not None and self._programs_at[1][0] and \
                now - self._programs_at[0] < PROGRAM_METRICS_EVERY:
            return self._programs_at[1]
        try:
            rules = load_program_rules(self.config.paths["programs"])
            counts = recent_program_counts(self.store, rules, local_now() - timedelta(days=7))
        except ConfigError as exc:
            log.warning("return program metrics left out: %s", exc)
            counts = ({}, {})
        self._programs_at = (now, counts)
        return counts

    # --- partner files -----------------------------------------------------------------------
    def _load(self) -> None:
        partners = load_partners(self.folder)
        if self.redactor is not None:  # before anything can log a new partner's secret
            self.redactor.remember(env_values(secret_env_names(partners.values())))
        for gone in set(self.partners) - set(partners):
            self.scheduler.remove_job(f"poll:{gone}")
            self.poll_jobs.pop(gone, None)
            log.info("%s: partner file removed; no longer polled", gone,
                     extra={"partner": gone})
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

    def _schedule(self, partner: PartnerSettings, *, new: bool) -> None:
        if partner.cron:
            trigger: Any = CronTrigger.from_crontab(partner.cron, timezone=partner.timezone)
        else:
            trigger = IntervalTrigger(seconds=partner.every_seconds or 60)
        extra = {"next_run_time": datetime.now(UTC)} if new else {}
        self.poll_jobs[partner.id] = self.scheduler.add_job(
            self._poll, trigger, args=[partner.id], id=f"poll:{partner.id}",
            replace_existing=True, **extra)

    # --- one poll ------------------------------------------------------------------------------
    def _poll(self, partner_id: str) -> None:
        partner = self.partners.get(partner_id)
        if partner is None or self.stopping.is_set():
            return
        # The lease is checked under the partner's lock: a heartbeat gives back only a
        # partner whose lock it can take, so no lease leaves while its poll starts or runs.
        with self._busy(partner_id):
            if not self.leases.may_poll(partner_id):
                return  # another node's to poll
            try:
                self._poll_with_lease(partner, self._last_poll(partner_id))
            finally:
                self.leases.poll_finished(partner_id)  # a lease beyond our share freed now

    def _poll_with_lease(self, partner: PartnerSettings, last: PollRecord | None) -> None:
        partner_id = partner.id
        if last is not None and _backed_off(last):
            return  # failing until someone acts (whichever node saw it fail)
        started = time.monotonic()
        try:
            report = poll_partner(partner, self.polling, on_file=self._file_taken,
                                  holds=lambda: self.leases.holds(partner_id))
        except TransportError as exc:
            self._polled(partner_id, started, ok=False)
            self._poll_failed(partner_id, exc, last)
            return
        self._polled(partner_id, started, ok=True)
        self._reachable_again(partner_id, last)
        self._record_poll(partner_id, error=None)
        _log_report(report)

    def _last_poll(self, partner_id: str) -> PollRecord | None:
        """The partner's last poll by any node (its outage and back-off live there); None
        when there is none or the store cannot say (the poll then finds out for itself)."""
        try:
            return self.store.poll_record(partner_id)
        except Exception as exc:
            log.warning("%s: its last poll could not be read: %s", partner_id, exc,
                        extra={"partner": partner_id})
            return None

    def _record_poll(self, partner_id: str, *, error: str | None,
                     unreachable_since: datetime | None = None,
                     backoff_until: datetime | None = None) -> None:
        """The poll in the store, with the next one due, for the console (another process)
        and for the node that polls the partner next. A store that cannot take it is
        logged: it never fails the poll."""
        job = self.poll_jobs.get(partner_id)  # its attribute: never the scheduler's lock
        due = backoff_until or (job.next_run_time if job is not None else None)
        try:
            self.store.record_poll(PollRecord(partner_id, local_now(), error is None, error,
                                              due, self.leases.node_id, unreachable_since,
                                              backoff_until))
        except Exception as exc:  # a record for people, never the result of the poll
            log.warning("%s: the poll could not be recorded for the console: %s",
                        partner_id, exc, extra={"partner": partner_id})

    def _polled(self, partner_id: str, started: float, *, ok: bool) -> None:
        self.metrics.polled(partner_id, time.monotonic() - started, ok=ok,
                            finished_at=time.time())

    def _poll_failed(self, partner_id: str, exc: TransportError,
                     last: PollRecord | None) -> None:
        permanent = isinstance(exc, PermanentTransportError)
        until = None
        if permanent:
            log.error("%s: cannot be polled, backing off %s until fixed: %s", partner_id,
                      self.backoff, exc, extra={"partner": partner_id})
            until = local_now() + self.backoff  # every node skips it until then (_poll)
        else:
            log.warning("%s: poll failed after retries, next poll as scheduled: %s",
                        partner_id, exc, extra={"partner": partner_id})
        # One outage, however many nodes poll the partner during it: its start is shared.
        since = last.unreachable_since if last is not None and last.unreachable_since \
            else local_now()
        self._record_poll(partner_id, error=str(exc), unreachable_since=since,
                          backoff_until=until)
        self.alerts.raise_once(partner_unreachable(partner_id, since, str(exc),
                                                   permanent=permanent))

    def _reachable_again(self, partner_id: str, last: PollRecord | None) -> None:
        since = last.unreachable_since if last is not None else None
        if since is None:
            return
        log.info("%s: reachable again (unreachable since %s)", partner_id,
                 f"{since:%Y-%m-%d %H:%M:%S%z}", extra={"partner": partner_id})
        self.alerts.raise_once(partner_reachable(partner_id, since, local_now()))

    def _file_taken(self, result: IngestResult) -> None:
        """Each file a poll took, once committed and before its outbound reactions: count
        it, log it, alert a rejection. The result says all of it: nothing is read back."""
        partner, name = result.partner, result.name
        self.metrics.file_taken(partner, result.state,
                                [outcome for _st02, outcome in result.controls.sets],
                                unmapped=bool(result.unmapped))
        log.info("%s: took %s: file #%d %s", partner, name, result.file_id, result.state,
                 extra={"partner": partner, "file_id": result.file_id, "file": name,
                        "state": result.state, **_control_numbers(result.controls)})
        if result.never_taken:  # over limits.file_size: left there
            self.alerts.raise_once(file_too_large(partner, result.file_id, name,
                                                  result.reason))
        elif result.state in REJECTED_STATES:
            self.alerts.raise_once(rejected_file(partner, result.file_id, name, result.state,
                                                 result.reason))
        if result.unmapped:
            self.alerts.raise_once(unmapped_file(partner, result.file_id, name, result.state,
                                                 result.reason, sets=result.unmapped))
        if result.refused:
            self.alerts.raise_once(refused_document(partner, result.file_id, name, result.state,
                                                    result.refused))

    # --- the outbox between polls ------------------------------------------------------------
    def _send_outbox(self) -> None:
        owed = self.store.partners_owed()
        for partner_id in owed:
            partner = self.partners.get(partner_id)
            if partner is None or self.stopping.is_set():
                continue  # not ours to send, or shutting down
            lock = self._busy(partner_id)
            if not lock.acquire(blocking=False):
                continue  # its poll is running and sends what is owed itself
            try:
                if not self.leases.may_poll(partner_id) or self._backing_off(partner_id):
                    continue  # another node's, or failing until someone acts
                with open_channel(partner) as channel:
                    sent = publish_pending(partner_id, channel, self.store, clock=local_now,
                                           observer=self.metrics, sender=self.sender)
            except TransportError as exc:
                log.warning("%s: outbox not sent, kept for the next try: %s", partner_id, exc,
                            extra={"partner": partner_id})
                continue
            finally:
                lock.release()
            for name, item in sent:
                _log_sent(partner_id, name, item)

    # --- outbound reactions and acknowledgement SLAs ------------------------------------------
    def _react(self, result: IngestResult) -> Reactions:
        file_id = result.duplicate_of or result.file_id  # see react_to_file
        return self._react_to(self.store.documents_of_file(file_id), file_id)

    def _react_to(self, documents: list[StoredDocument], file_id: int | None) -> Reactions:
        """Their follow-ups, logged (failures also alerted); the store failing is logged
        and leaves them for the catch-up at the next start."""
        if not documents:
            return Reactions()
        fields = {"file_id": file_id} if file_id is not None else {}
        try:
            # Two partners' polls must not decide the same case at once, on this node (the
            # lock) nor on another (the store's lock, on PostgreSQL).
            with self.reacting, self.store.follow_ups_serialized():
                reactions = react(self.outbound, documents, local_now(), file_id)
        except Exception as exc:  # not one document's (react records those): the store?
            log.debug("follow-ups failed", exc_info=True)
            log.error("%s: stored, but its follow-ups failed (retried at the next start): "
                      "%s", f"file #{file_id}" if file_id is not None else "catch-up", exc,
                      extra=fields)
            return Reactions()
        for failure in reactions.failures:
            log.error("%s: %s", failure.partner, failure.line(), extra={
                "partner": failure.partner, "file_id": failure.file_id,
                "document_id": failure.document_id, "reference": failure.reference})
            self.alerts.raise_once(follow_up_failed(failure))
        for line in replace(reactions, failures=[]).lines():  # failures: logged above
            log.info("%s", line, extra=fields)
        return reactions

    def _catch_up(self) -> None:
        self._react_to(self.store.documents_since(local_now() - CATCH_UP), None)

    def _deliver(self, subscription: Subscription) -> None:
        """One delivery round for one subscriber (its own job, its own thread), by the node
        that holds the subscriber's lease: one node delivers to each subscriber."""
        key = subscriber_lease(subscription.name)
        if self.stopping.is_set():
            return
        with self._busy(key):  # as a poll: its lease is given back only between rounds
            if not self.leases.may_poll(key):
                return
            try:
                self._deliver_round(subscription)
            finally:
                self.leases.poll_finished(key)

    def _deliver_round(self, subscription: Subscription) -> None:
        try:
            report = deliver_round(subscription, self.store, self.webhooks, clock=local_now)
        except ConfigError as exc:  # its secret is missing: nothing sent, nothing counted
            log.error("%s: events not delivered: %s", subscription.name, exc,
                      extra={"subscriber": subscription.name})
            return
        fields = {"subscriber": subscription.name, "delivered": len(report.delivered)}
        if report.failed or report.dead_lettered:
            log.warning("%s", report.line(), extra=fields)
        elif report.delivered:
            log.info("%s", report.line(), extra=fields)

    def _check_acks(self) -> None:
        for row in raise_overdue(self.store, self.alerts, local_now()):
            log.warning("%s: acknowledgement of %s %s overdue", row.partner, row.kind,
                        row.control_number,
                        extra={"partner": row.partner, "outbox_kind": row.kind,
                               "outbox_control": row.control_number, "outbox_id": row.id})

    def _check_recall_deadlines(self) -> None:
        raise_recall_deadlines(self.store, self.alerts, local_now(),
                               self.config.recall_deadline_days)

    def _busy(self, partner_id: str) -> threading.Lock:
        # setdefault is atomic under the GIL: two jobs never get different locks for a partner.
        return self.busy.setdefault(partner_id, threading.Lock())

    def _backing_off(self, partner_id: str) -> bool:
        last = self._last_poll(partner_id)
        return last is not None and _backed_off(last)

    # --- this node among the others ------------------------------------------------------------
    def _heartbeat(self) -> None:
        """Stamp this node alive, renew its leases, give back what is beyond its share."""
        beat = self.leases.heartbeat(self._lease_count(), idle=self._idle)
        self.metrics.leases_held(self.leases.node.name, len(self.leases.held()),
                                 beat_at=time.time() if beat else None)

    def _forget_old_nodes(self) -> None:
        """`gateway nodes` shows a week of history; older rows of nodes gone are dropped."""
        try:
            self.store.forget_nodes(self.store.database_now() - NODE_HISTORY)
        except Exception as exc:  # history only
            log.warning("old node rows not pruned: %s", exc)

    def _lease_count(self) -> int:
        return len(self.partners) + len(self.subscriptions)

    @contextmanager
    def _idle(self, key: str) -> Iterator[bool]:
        """True, holding its lock, when nothing runs for ``key`` (a partner or a subscriber's
        lease): nothing can start for it until the block ends."""
        lock = self._busy(key)
        free = lock.acquire(blocking=False)
        try:
            yield free
        finally:
            if free:
                lock.release()


def _backed_off(last: PollRecord) -> bool:
    """Whether the shared record says nobody polls the partner now (a fault to fix)."""
    return last.backoff_until is not None and local_now() < last.backoff_until


def subscriber_lease(name: str) -> str:
    """The lease key of a subscriber: one node delivers the feed to it."""
    return f"subscriber:{name}"


def _log_report(report: PollReport) -> None:
    """What a poll left and sent (what it took was logged as each file was committed)."""
    for name, why in report.waiting:
        log.info("%s: left %s: %s", report.partner, name, why,
                 extra={"partner": report.partner, "file": name})
    for name, item in zip(report.sent, report.sent_items, strict=True):
        _log_sent(report.partner, name, item)


def _log_sent(partner: str, name: str, item: OutboxItem) -> None:
    log.info("%s: sent %s", partner, name,
             extra={"partner": partner, "file": name, "outbox_kind": item.kind,
                    "outbox_control": item.control_number})


def _control_numbers(controls: FileControls) -> dict[str, list[str]]:
    """ISA13, GS06 and ST02 of a stored file, as log fields (only those it has)."""
    found = {
        "isa13": list(controls.interchanges),
        "gs06": list(controls.groups),
        "st02": [st02 for st02, _outcome in controls.sets],
    }
    return {key: values for key, values in found.items() if values}


def secret_env_names(partners: Iterable[PartnerSettings]) -> set[str]:
    """The environment variables partner files name for keys and passphrases."""
    names = set()
    for partner in partners:
        transport = partner.transport
        for ref in (transport.private_key, transport.passphrase) if transport else ():
            if ref is not None and ref.env:
                names.add(ref.env)
    return names


def _signature(folder: Path) -> tuple[tuple[str, float], ...]:
    return tuple((p.name, p.stat().st_mtime) for p in sorted(folder.glob("*.yaml")))
