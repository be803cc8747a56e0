"""The demo's closing summary, read back from the store (not from what the demo remembers):
files taken in, what was sent to each partner and acknowledged, the return cases, the recall's
effectiveness, and the commands to look further."""

from __future__ import annotations

import shutil
import sys
from collections import Counter
from pathlib import Path

from gateway.app.cases import cases_for
from gateway.app.outbound.recalls import effectiveness, latest_notices
from gateway.app.ports import GatewayStore, OutboundRow
from gateway.demo.gateway_loop import first_error
from gateway.demo.progress import Progress
from gateway.demo.workspace import shown
from gateway.domain.correlation import KeyKind
from gateway.domain.return_case import ReturnCase

_PURPOSES = {"acknowledgement": "acknowledgement", "rma-answer": "RMA answer",
             "status-update": "status update", "recall-notification": "recall notification",
             "application-advice": "application advice (824)"}


def print_summary(store: GatewayStore, progress: Progress, config_file: Path) -> None:
    p = progress
    p.print()
    p.print("Summary", "bold")
    _files(store, p)
    _sent(store, p)
    _cases(store, p)
    _recalls(store, p)
    _next(p, config_file)


def _files(store: GatewayStore, p: Progress) -> None:
    files = sorted(store.recent_files(limit=1000), key=lambda f: f.file.id)
    states = Counter(f.file.state for f in files)
    p.print(f"  files taken in: {len(files)} (" + ", ".join(
        f"{count} {state}" for state, count in sorted(states.items())) + ")")
    for summary in files:
        f = summary.file
        line = f"    #{f.id:<3} {f.partner:<10} {f.original_name:<30} {f.state}"
        if f.state == "accepted":
            p.print(line)
            continue
        reason = first_error(store, f.id, f.reason) or "no reason recorded"
        p.print(f"{line}: {reason}", "red" if f.state == "rejected" else "yellow")


def _sent(store: GatewayStore, p: Progress) -> None:
    p.print("  sent, per partner:")
    rows = store.outbound(limit=10_000)
    for partner in sorted({r.partner for r in rows}):
        mine = [r for r in rows if r.partner == partner]
        p.print(f"    {partner:<10} " + _what_was_sent(mine) + _acknowledged(mine))


def _what_was_sent(rows: list[OutboundRow]) -> str:
    kinds = Counter((r.purpose, r.kind) for r in rows if r.state == "sent")
    parts = [f"{count} {_PURPOSES.get(purpose, purpose)}{'s' * (count != 1)} ({kind})"
             for (purpose, kind), count in sorted(kinds.items())]
    unsent = sum(1 for r in rows if r.state != "sent")
    return ", ".join(parts) + (f"; {unsent} NOT SENT" if unsent else "")


def _acknowledged(rows: list[OutboundRow]) -> str:
    """What the partner said about the X12 we sent on our own account."""
    states = Counter(r.ack_state for r in rows if r.ack_state is not None)
    if not states:
        return ""
    due = min((r.ack_due for r in rows if r.ack_state == "expected" and r.ack_due),
              default=None)
    parts = [f"{count} {state}" for state, count in sorted(states.items())
             if state != "expected"]
    if states["expected"]:
        parts.append(f"{states['expected']} awaiting their 997"
                     + (f" (due by {due:%H:%M})" if due else ""))
    return "; acknowledgements: " + ", ".join(parts)


def _cases(store: GatewayStore, p: Progress) -> None:
    p.print("  return cases:")
    for case in return_cases(store):
        rma = next((k.value for k in case.keys if k.kind is KeyKind.RMA), case.case_id)
        path = " -> ".join(_states_in_order(case))
        decision = f" (decision {case.decision.value})" if case.decision and \
            case.decision is not case.state else ""
        p.print(f"    {rma:<12} {case.state.value}{decision}: {path}",
                "green" if case.state.value in ("received", "closed") else "")
        for hold in case.recall_holds:
            p.print(f"    {'':<12} {hold.line_label} on recall hold under {hold.notice_id} "
                    f"({hold.identifier})")


def return_cases(store: GatewayStore) -> list[ReturnCase]:
    """Every case a partner's return request opened, oldest first."""
    found: dict[str, ReturnCase] = {}
    requests = [d for d in store.documents_of_kind("return-authorization")
                if d.direction == "in"]
    for stored in sorted(requests, key=lambda d: d.id):
        for case in cases_for(store, stored.reference).cases:
            found.setdefault(case.case_id, case)
    return list(found.values())


def _states_in_order(case: ReturnCase) -> list[str]:
    states: list[str] = []
    for event in case.timeline:
        if not states or states[-1] != event.state_after.value:
            states.append(event.state_after.value)
    return states


def _recalls(store: GatewayStore, p: Progress) -> None:
    for notice in latest_notices(store.documents_of_kind("recall-notice")):
        report = effectiveness(store.recall_recipients_of(notice.notice_id))
        p.print(f"  recall {notice.notice_id}" + (f": {notice.title}" if notice.title else ""))
        p.print(f"    recipients {report.recipients}, delivered {report.delivered}, "
                f"responded {report.responded} ({report.response_rate}); affected units "
                f"{report.affected_units}, found {report.units_found}, returned "
                f"{report.units_returned}")


def _next(p: Progress, config_file: Path) -> None:
    gateway = f"{_program()} --config {shown(config_file)}"
    p.print("  where to look next:", "bold")
    for command, what in (
            ("show RMA7734021", "the return case: timeline, documents, what we sent"),
            ("acks", "what we sent on our own account and what the partners said"),
            ("recall status 26-031", "who was notified, who answered"),
            ("receiving", "what each return centre expects, day by day"),
            ("programs report", "cases, units and recovered value by program"),
            ("files", "every file taken in, accepted or rejected")):
        p.print(f"    {gateway} {command:<22} # {what}")
    p.print(f"    {gateway} users add you --role admin   # a person for the web console")
    p.print(f"    {gateway} console                      # http://127.0.0.1:8470, sign in "
            "as you")
    p.print(f"    {gateway} subscriptions status     # the internal systems fed by webhook")
    p.print(f"    {gateway} tokens create wms --scope read   # a JSON API client "
            "(/api/v1 on the console's port; /api/v1/openapi.json describes it)")
    p.print("  to connect a real internal system: a subscribers/<name>.yaml with its url and "
            "secret ({env: NAME} or {file: path}, a whsec_ key), as this demo's "
            "subscribers/warehouse.yaml, or an API client reading /api/v1/events; README, "
            "\"Connecting internal systems\"")


def _program() -> str:
    """How the reader can type the command: `gateway` when it is on PATH, else the path of the
    one running (normally .venv/bin/gateway after ./dev run)."""
    if shutil.which("gateway"):
        return "gateway"
    running = Path(sys.argv[0])
    if running.name != "gateway":
        return "gateway"
    try:
        return str(running.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(running)
