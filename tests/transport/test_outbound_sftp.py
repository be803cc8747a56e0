"""The outbound half through `gateway run` against a real sshd, as the partners see it.

A retailer (northwind: its partner mapping reads the RMA from BGN06), a carrier (odfl) and a
recall coordinator (cpsc), each a chrooted SFTP user. The story: the retailer's 180 return
request is authorized by its policy and answered; its 856 and the carrier's 214 move the case
and the retailer hears in-transit and delivered (not shipped: it said so itself); the daemon is
restarted mid-story and re-sends nothing; the retailer acknowledges our answer but never the
status updates, which become overdue under its 2 s SLA and are alerted once each; a recall
notice is acknowledged to the coordinator and forwarded to the retailer, whose return carries
an affected serial.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from gateway.x12.assess import assess
from tests.cli import run_gateway
from tests.transport.conftest import SftpServer
from tests.transport.test_daemon_sftp import home

REPO = Path(__file__).resolve().parents[2]
SAMPLES = REPO / "samples"
RMA = "RMA7734021"
RETAILER_ISA = ("01", "614832907")
PARTNER_FILES = {
    "northwind": """\
id: northwind
name: Northwind Home Stores
role: retailer
x12:
  isa_qualifier: "01"
  isa_id: "614832907"
  gs_id: NORTHWINDHS
  version: "004010"
  acks: {{functional: "997", ta1: on-request, expect_within: 2s}}
transport: {transport}
schedule: {{every: 1s}}
returns_policy:
  rma_prefix: NW
  default: pending
  rules:
    - {{reasons: [DM, DA], max_quantity: 10, max_value: 500, decide: authorize}}
status_updates:
  form: x12-180
  "on": [authorized, partially-authorized, denied, shipped, in-transit, delivered, received,
         closed]
recall_notifications: {{form: xml}}
""",
    "odfl": """\
id: odfl
name: Old Dominion Freight Line
role: carrier
x12: {{isa_qualifier: "02", isa_id: ODFL, gs_id: ODFL, version: "004010",
      acks: {{functional: "997", ta1: on-error}}}}
transport: {transport}
schedule: {{every: 1s}}
""",
    "cpsc": """\
id: cpsc
name: CPSC recalls desk
role: recall-coordinator
x12: {{isa_qualifier: ZZ, isa_id: CPSC, gs_id: CPSC}}
transport: {transport}
schedule: {{every: 1s}}
""",
}

T = TypeVar("T")


# --- the partners' files, dated as if sent these days ---------------------------------------
def _dates(text: str, old: str, day: datetime) -> str:
    """Every '20YYMMDD' and 'YYMMDD' spelling of the sample's ``old`` day moved to ``day``."""
    return text.replace(old, f"{day:%Y%m%d}").replace(old[2:], f"{day:%y%m%d}")


def return_request(today: datetime) -> bytes:
    text = (SAMPLES / "valid/180-return-request-004010.x12").read_text()
    text = _dates(text, "20260114", today - timedelta(days=2))
    # Northwind sends its RMA in BGN06 (mappings/partners/northwind/180.yaml).
    text, found = re.subn(r"(BGN\*00\*RR\d+\*\d{8}\*0915)~", rf"\1**{RMA}~", text)
    assert found == 1
    return text.encode()


def ship_notice(today: datetime) -> bytes:
    text = (SAMPLES / "valid/856-pick-pack-004010.x12").read_text()
    return _dates(text, "20260120", today).encode()


def carrier_status(today: datetime) -> bytes:
    text = (SAMPLES / "valid/214-status-004010.x12").read_text()
    text = _dates(_dates(text, "20260121", today), "20260120", today)
    minutes = iter(range(1, 5))
    text, found = re.subn(r"(AT7\*\w\w\*NS\*\*\*\d{8})\*\d{4}\*ET~",
                          lambda m: f"{m.group(1)}*{next(minutes):04d}*UT~", text)
    assert found == 4
    return text.encode()


def isa_field(text: str, position: int) -> str:
    return text.split("~", 1)[0].split("*")[position].strip()


def functional_ack(answer: str, control: int, now: datetime) -> bytes:
    """The retailer's 997 accepting the group of ``answer`` (one of our 180s)."""
    group = next(s for s in answer.split("~") if s.startswith("GS*")).split("*")[6]
    ours = (isa_field(answer, 5), isa_field(answer, 6))
    gs_ours = next(s for s in answer.split("~") if s.startswith("GS*")).split("*")[2]
    body = ["ST*997*0001", f"AK1*AN*{group}", "AK2*180*0001", "AK5*A", "AK9*A*1*1*1"]
    body.append(f"SE*{len(body) + 1}*0001")
    segments = [
        f"ISA*00*{'':10}*00*{'':10}*{RETAILER_ISA[0]}*{RETAILER_ISA[1]:<15}*{ours[0]}*"
        f"{ours[1]:<15}*{now:%y%m%d}*{now:%H%M}*U*00401*{control:09d}*0*P*>",
        f"GS*FA*NORTHWINDHS*{gs_ours}*{now:%Y%m%d}*{now:%H%M}*{control}*X*004010",
        *body, f"GE*1*{control}", f"IEA*1*{control:09d}"]
    return ("~".join(segments) + "~").encode()


# --- what the partners see ------------------------------------------------------------------
def drop(server: SftpServer, partner_id: str, name: str, data: bytes) -> None:
    """Upload as a partner does: a temporary name, then a rename into the polled folder."""
    folder = home(server, partner_id) / "in"
    (folder / f".{name}.part").write_bytes(data)
    (folder / f".{name}.part").rename(folder / name)


def received(server: SftpServer, partner_id: str, pattern: str = "*") -> list[Path]:
    """What we left in the partner's folder (its "/out") under ``pattern``."""
    return sorted((home(server, partner_id) / "out").glob(pattern))


def wait_until(find: Callable[[], T], seconds: float, what: str) -> T:
    deadline = time.monotonic() + seconds
    while not (found := find()):
        assert time.monotonic() < deadline, f"timed out after {seconds} s waiting for {what}"
        time.sleep(0.2)
    return found


def group_acknowledged(ack: Path) -> str:
    """AK101/AK102 of a 997 we sent: which of the partner's groups it answers."""
    ak1 = next(s for s in ack.read_text().split("~") if s.startswith("AK1*"))
    return "*".join(ak1.split("*")[1:3])


def gateway_json(project: Path, *args: str, exit_code: int = 0) -> Any:
    done = run_gateway(*args, "--json", cwd=project)
    assert done.returncode == exit_code, done.stdout + done.stderr
    return json.loads(done.stdout)


class Daemon:
    """`gateway run` as a subprocess, its log (stderr) appended to one file across restarts."""

    def __init__(self, project: Path) -> None:
        self.project, self.log = project, project / "daemon.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "run", "--settle", "0.2",
                 "--outbox-every", "1"], cwd=self.project, stdout=log, stderr=log)

    def stop(self) -> None:
        if self.process is None:
            return
        process, self.process = self.process, None
        process.send_signal(signal.SIGTERM)
        try:
            returncode = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        assert returncode == 0, self.text()

    def text(self) -> str:
        return self.log.read_text(errors="replace")


def project(server: SftpServer, tmp_path: Path) -> Path:
    (tmp_path / "partners").mkdir()
    (tmp_path / "keys").mkdir()
    shutil.copy(server.known_hosts, tmp_path / "keys" / "known_hosts")
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")
    for partner_id, text in PARTNER_FILES.items():
        transport = (f"{{type: sftp, host: 127.0.0.1, port: {server.port}, "
                     f"username: {partner_id},\n  private_key: {{file: "
                     f"'{server.keys / 'ed25519'}'}}, known_hosts: keys/known_hosts,\n"
                     "  inbound: /in, outbound: /out, patterns: ['*.x12', '*.xml']}")
        (tmp_path / "partners" / f"{partner_id}.yaml").write_text(
            text.format(transport=transport))
        for folder in ("in", "out"):  # empty: the chroots outlive each test
            for leftover in (home(server, partner_id) / folder).iterdir():
                leftover.unlink()
    checked = run_gateway("partners", "check", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    upgraded = run_gateway("db", "upgrade", cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    return tmp_path


def bgn02(path: Path) -> str:
    return next(s for s in path.read_text().split("~") if s.startswith("BGN*")).split("*")[2]


def our_180s(server: SftpServer) -> dict[str, list[str]]:
    """The 180s in the retailer's folder by BGN02 (RMA-TRN, RMA-DLV for status updates)."""
    found: dict[str, list[str]] = {}
    for path in received(server, "northwind", "180_*.x12"):
        found.setdefault(bgn02(path), []).append(path.name)
    return found


def everything_sent(server: SftpServer) -> dict[Path, tuple[int, bytes]]:
    return {path: (path.stat().st_mtime_ns, path.read_bytes())
            for partner_id in PARTNER_FILES for path in received(server, partner_id)}


def answered_by_policy(server: SftpServer, today: datetime) -> Path:
    """1. The request is decided by the retailer's policy and answered, with a 997."""
    drop(server, "northwind", "180-request.x12", return_request(today))
    answers = wait_until(lambda: received(server, "northwind", "180_*.x12"), 20,
                         "the 180 answer")
    wait_until(lambda: received(server, "northwind", "997_*.x12"), 10, "its 997")
    assert len(answers) == 1, answers
    answer = answers[0].read_text()
    assert assess(answer.encode()).accepted, answer
    assert "BGN*11*" in answer and "RDR*RA" in answer and RMA in answer, answer
    return answers[0]


def moved_by_856_and_214(server: SftpServer, today: datetime, answer: Path) -> list[Path]:
    """2. The retailer ships (856), the carrier reports (214): the retailer hears in-transit
    and delivered, once each, and not shipped (its own 856 said so)."""
    drop(server, "northwind", "856-asn.x12", ship_notice(today))
    wait_until(lambda: len(received(server, "northwind", "997_*.x12")) == 2, 20,
               "the 997 for the 856")
    drop(server, "odfl", "214-status.x12", carrier_status(today))
    wait_until(lambda: {f"{RMA}-TRN", f"{RMA}-DLV"} <= set(our_180s(server)), 20,
               "status updates for in-transit and delivered")
    wait_until(lambda: received(server, "odfl", "997_*.x12"), 10, "the carrier's 997")
    time.sleep(3)  # several polls and outbox rounds: nothing may come twice
    found = our_180s(server)
    assert found == {bgn02(answer): [answer.name], f"{RMA}-TRN": found[f"{RMA}-TRN"],
                     f"{RMA}-DLV": found[f"{RMA}-DLV"]}, found
    updates = [home(server, "northwind") / "out" / name
               for state in ("TRN", "DLV") for name in found[f"{RMA}-{state}"]]
    assert len(updates) == 2, found
    for path in updates:
        text = path.read_text()
        assert assess(text.encode()).accepted, text
        assert "RDR*CR" in text and f"N9*RZ*{RMA}" in text, text
    return updates


def nothing_resent_after_restart(server: SftpServer, daemon: Daemon) -> None:
    """A restart re-sends nothing, though its catch-up re-runs the last day's reactions."""
    before_files, before_rows = everything_sent(server), gateway_json(daemon.project, "acks")
    daemon.stop()
    daemon.start()
    wait_until(lambda: daemon.text().count("started: 3 partners") == 2, 20,
               "the restarted daemon")
    time.sleep(3)  # its catch-up, several polls of every partner and outbox rounds
    assert everything_sent(server) == before_files
    after_rows = gateway_json(daemon.project, "acks")
    same = ("id", "kind", "control_number", "purpose", "subject", "state", "sent_at")
    assert [{k: r[k] for k in same} for r in after_rows] == \
        [{k: r[k] for k in same} for r in before_rows]
    assert sorted(r["purpose"] for r in after_rows) == \
        ["rma-answer", "status-update", "status-update"], after_rows


def answer_acknowledged(server: SftpServer, project: Path, answer: Path) -> None:
    """3. The retailer's 997 accepts our answer (never the status updates)."""
    ack = functional_ack(answer.read_text(), 105, datetime.now(UTC))
    assert assess(ack).accepted, ack
    drop(server, "northwind", "997-for-answer.x12", ack)
    control = isa_field(answer.read_text(), 13)

    def accepted() -> dict[str, Any] | None:
        rows = gateway_json(project, "acks", "--partner", "northwind")
        row = next(r for r in rows if r["control_number"] == control)
        return row if row["ack_state"] == "accepted" else None

    row = wait_until(accepted, 20, "our answer acknowledged as accepted")
    assert (row["purpose"], row["kind"]) == ("rma-answer", "180"), row
    shown = run_gateway("show", RMA, cwd=project)
    assert shown.returncode == 0, shown.stderr
    timeline = shown.stdout.split("documents:")[0]
    for state in ("requested", "authorized", "shipped", "in-transit", "delivered"):
        assert f" {state} " in timeline, shown.stdout
    assert "997-for-answer.x12" not in shown.stdout  # a 997 is no document of the case
    # The answer's line says the retailer accepted it. (At commit 618de87 `gateway show`
    # printed only our outbox state, "180 #000000002 answers - (file #1): sent"; the
    # "sent on our own account" section in the working tree of gateway/cli_store.py says
    # "accepted by the partner".)
    assert any(f"#{control}" in line and "accepted" in line
               for line in shown.stdout.splitlines()), shown.stdout


def overdue_and_alerted(project: Path, daemon: Daemon, answer: Path,
                        updates: list[Path]) -> list[str]:
    """4. Unacknowledged status updates go overdue under the 2 s SLA, and are alerted."""
    controls = [isa_field(path.read_text(), 13) for path in updates]
    overdue = run_gateway("acks", "--overdue", cwd=project)
    assert overdue.returncode == 1, overdue.stdout + overdue.stderr
    for control in controls:
        assert control in overdue.stdout, overdue.stdout
    assert isa_field(answer.read_text(), 13) not in overdue.stdout, overdue.stdout
    rows = {r["control_number"]: r for r in gateway_json(project, "acks", "--overdue",
                                                                exit_code=1)}
    assert sorted(rows) == sorted(controls), rows
    assert {r["ack_state"] for r in rows.values()} == {"overdue"}, rows
    wait_until(lambda: all(f"our 180 {c} (status-update" in daemon.text() for c in controls),
               10, "the overdue alerts")
    time.sleep(2)  # more check-acks ticks (every second): an alert is not repeated
    return controls


def recall_forwarded(server: SftpServer, project: Path) -> None:
    """5. The recall: acknowledged to the coordinator, forwarded to the retailer."""
    drop(server, "cpsc", "recall-26-031.xml",
         (SAMPLES / "recall/valid-stand-mixer-serials.xml").read_bytes())
    acks = wait_until(lambda: received(server, "cpsc", "recall-ack_*.xml"), 20,
                      "the recall-ack")
    assert len(acks) == 1 and "26-031" in acks[0].read_text(), acks
    notifications = wait_until(
        lambda: received(server, "northwind", "recall-notification_*.xml"), 20,
        "the recall notification")
    assert len(notifications) == 1, notifications
    assert "26-031" in notifications[0].read_text()
    assert received(server, "odfl", "recall-notification_*") == []  # it takes none

    def delivered() -> dict[str, Any] | None:
        status: dict[str, Any] = gateway_json(project, "recall", "status", "26-031")
        return status if status["delivered"] else None

    status = wait_until(delivered, 10, "the notification recorded as delivered")
    assert (status["delivered"], status["recipient_count"]) == (1, 1), status
    assert [(r["partner"], r["delivered_at"] is not None)
            for r in status["recipients"]] == [("northwind", True)], status


def test_a_return_story_answered_over_sftp(server: SftpServer, tmp_path: Path) -> None:
    today = datetime.now(UTC)
    daemon = Daemon(project(server, tmp_path))
    daemon.start()
    try:
        answer = answered_by_policy(server, today)
        updates = moved_by_856_and_214(server, today, answer)
        nothing_resent_after_restart(server, daemon)
        answer_acknowledged(server, daemon.project, answer)
        overdue_controls = overdue_and_alerted(daemon.project, daemon, answer, updates)
        recall_forwarded(server, daemon.project)
    finally:
        daemon.stop()

    log = daemon.text()
    assert "Traceback" not in log, log
    alerted = Counter(re.findall(
        r"ALERT overdue-acknowledgement northwind: .*? our (\S+ \d+) ", log))
    assert {f"180 {c}" for c in overdue_controls} <= set(alerted), log
    assert set(alerted.values()) == {1}, alerted  # once per document, never every tick
    # One 997 for each X12 file the retailer and the carrier sent, none for the retailer's 997.
    assert sorted(group_acknowledged(p) for p in received(server, "northwind", "997_*")) == \
        ["AN*101", "SH*103"]
    assert [group_acknowledged(p) for p in received(server, "odfl", "997_*")] == ["QM*106"]
    for partner_id in PARTNER_FILES:
        assert list((home(server, partner_id) / "in").iterdir()) == []
