"""Prometheus metrics of the gateway: what `gateway run --metrics-port N` serves on /metrics.

Everything lives in the `GatewayMetrics` object's own `CollectorRegistry` (never the
process-wide default one), so tests and several daemons in one process never share counters.
Counters and histograms move as the daemon works (`gateway.scheduler` and, through its
observer, `gateway.app.poll` call the methods below); the outbox depth, overdue
acknowledgements and held documents are read from the store when Prometheus scrapes, so they
are never stale and never drift from what `gateway acks` shows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from gateway.model.states import REJECTED_STATES

# Polls and transfers of everyday EDI files take milliseconds to a minute (a 20 MB ASN).
_SECONDS_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)


@dataclass(frozen=True, slots=True)
class StoreSnapshot:
    """Per partner counts read from the store at scrape time."""

    outbox_pending: Mapping[str, int] = field(default_factory=dict)
    overdue_acks: Mapping[str, int] = field(default_factory=dict)
    held_documents: Mapping[str, int] = field(default_factory=dict)
    # (partner, program): cases and units of the return cases opened in the last week
    program_cases: Mapping[tuple[str, str], int] = field(default_factory=dict)
    program_units: Mapping[tuple[str, str], float] = field(default_factory=dict)


class _StoreCollector(Collector):
    """Gauges computed when scraped: a scrape that cannot read the store shows none of them
    rather than stale numbers (and never fails the other metrics)."""

    def __init__(self, snapshot: Callable[[], StoreSnapshot]) -> None:
        self.snapshot = snapshot

    def describe(self) -> Iterable[Metric]:
        return []  # registering must not query the store (the daemon is not started yet)

    def collect(self) -> Iterable[Metric]:
        try:
            taken = self.snapshot()
        except Exception:  # a locked or unreachable store: no gauges this scrape
            return []
        return [
            _per_partner("gateway_outbox_pending",
                         "Documents queued for a partner and not yet sent", taken.outbox_pending),
            _per_partner("gateway_acks_overdue",
                         "Documents we sent whose acknowledgement is overdue under the "
                         "partner's SLA", taken.overdue_acks),
            _per_partner("gateway_held_documents",
                         "Outbound documents held as invalid (never sent)",
                         taken.held_documents),
            _per_program("gateway_return_cases", "Return cases with a request received in the "
                         "last 7 days, by partner and return program", taken.program_cases),
            _per_program("gateway_return_units", "Units on the return lines of those cases, "
                         "by partner and each line's return program", taken.program_units),
        ]


def _per_program(name: str, documentation: str,
                 values: Mapping[tuple[str, str], float]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["partner", "program"])
    for (partner, program), value in sorted(values.items()):
        family.add_metric([partner, program], value)
    return family


def _per_partner(name: str, documentation: str, values: Mapping[str, int]) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=["partner"])
    for partner, value in sorted(values.items()):
        family.add_metric([partner], value)
    return family


class GatewayMetrics:
    """The daemon's metrics; one instance per daemon, each with its own registry."""

    def __init__(self, snapshot: Callable[[], StoreSnapshot] | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.files_taken = Counter("gateway_files_taken", "Inbound files taken in, by the "
                                   "state the pipeline left them in", ["partner", "state"],
                                   registry=r)
        self.transaction_sets = Counter("gateway_transaction_sets", "Inbound transaction sets, "
                                        "by outcome", ["partner", "outcome"], registry=r)
        self.rejects = Counter("gateway_rejected_files", "Inbound files rejected outright "
                               "(rejected or not X12)", ["partner"], registry=r)
        self.unmapped = Counter("gateway_unmapped_files", "Inbound files with a transaction "
                                "set validation accepted but the mapping did not turn into "
                                "a document (accepted-unmapped, or partially accepted)",
                                ["partner"], registry=r)
        self.poll_duration = Histogram("gateway_poll_duration_seconds", "One poll of a "
                                       "partner, retries included", ["partner", "result"],
                                       buckets=_SECONDS_BUCKETS, registry=r)
        self.transfer_duration = Histogram("gateway_transfer_duration_seconds", "One file "
                                           "fetched from or published to a partner",
                                           ["partner", "direction"],
                                           buckets=_SECONDS_BUCKETS, registry=r)
        self.transfer_bytes = Counter("gateway_transfer_bytes", "Bytes fetched from or "
                                      "published to a partner", ["partner", "direction"],
                                      registry=r)
        self.alerts = Counter("gateway_alerts_raised", "Alerts raised, by kind",
                              ["kind", "partner"], registry=r)
        self.last_poll = Gauge("gateway_last_successful_poll_timestamp_seconds", "When the "
                               "last poll of a partner succeeded (Unix time)", ["partner"],
                               registry=r)
        # Each node serves its own /metrics: these say what this node holds among the others
        self.node_leases = Gauge("gateway_node_leases", "Partners and subscribers this node "
                                 "holds the lease of (polls, sends to, delivers to)",
                                 ["node"], registry=r)
        self.node_heartbeat = Gauge("gateway_node_heartbeat_timestamp_seconds", "When this "
                                    "node last renewed its leases in the store (Unix time)",
                                    ["node"], registry=r)
        if snapshot is not None:
            r.register(_StoreCollector(snapshot))

    # --- what the daemon and the poll report -----------------------------------------------
    def file_taken(self, partner: str, state: str, set_outcomes: Iterable[str] = (), *,
                   unmapped: bool = False) -> None:
        """``state`` labels the file (accepted-unmapped among them); ``unmapped`` also counts
        a partially accepted file with an unmapped set."""
        self.files_taken.labels(partner, state).inc()
        if state in REJECTED_STATES:
            self.rejects.labels(partner).inc()
        if unmapped:
            self.unmapped.labels(partner).inc()
        for outcome in set_outcomes:
            self.transaction_sets.labels(partner, outcome).inc()

    def transferred(self, partner: str, direction: str, size: int, seconds: float) -> None:
        self.transfer_duration.labels(partner, direction).observe(seconds)
        self.transfer_bytes.labels(partner, direction).inc(size)

    def polled(self, partner: str, seconds: float, *, ok: bool, finished_at: float) -> None:
        self.poll_duration.labels(partner, "ok" if ok else "failed").observe(seconds)
        if ok:
            self.last_poll.labels(partner).set(finished_at)

    def leases_held(self, node: str, count: int, *, beat_at: float | None = None) -> None:
        """After a heartbeat: how many leases the node holds; ``beat_at`` when it got
        through to the store (None: it did not)."""
        self.node_leases.labels(node).set(count)
        if beat_at is not None:
            self.node_heartbeat.labels(node).set(beat_at)

    def alert_raised(self, kind: str, partner: str) -> None:
        self.alerts.labels(kind, partner).inc()

    # --- serving ---------------------------------------------------------------------------
    def serve(self, port: int, host: str = "127.0.0.1") -> WSGIServer:
        """/metrics over HTTP in a daemon thread; port 0 picks a free one (server_port)."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server
