"""`gateway demo`: the whole story against its embedded SFTP server, as a user runs it.

The demo runs as a subprocess (no root, no sshd, no setup); its summary and the workspace's
store, read through the ordinary commands, must tell the same story. A second run in the same
workspace starts fresh; a folder that is not a demo workspace is never touched. The embedded
server itself is checked with the gateway's own SFTP adapter (paramiko): pinned host key, key
authentication, each user confined to its folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncssh
import paramiko
import pytest

from gateway.app.partners import PartnerSettings
from gateway.demo.server import DemoSftpServer
from gateway.demo.workspace import (
    MARKER,
    PARTNER_IDS,
    Workspace,
    prepare,
    write_client_keys,
    write_known_hosts,
    write_partner_files,
)
from gateway.errors import PermanentTransportError
from gateway.transport.sftp import SftpChannel
from tests.cli import run_gateway

RMA = "RMA7734021"


def demo(workspace: Path, *args: str) -> tuple[str, str]:
    done = run_gateway("demo", "--workspace", str(workspace), *args, cwd=workspace.parent,
                       timeout=90)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout, done.stderr


def summary(output: str) -> str:
    """The summary, without what differs from run to run (clock times, the run's duration)."""
    text = output[output.index("\nSummary\n"):output.index("  done in ")]
    return re.sub(r"\d\d:\d\d", "HH:MM", text)


def gateway_json(workspace: Path, *args: str) -> Any:
    done = run_gateway("--config", str(workspace / "config.yaml"), *args, "--json",
                       cwd=workspace.parent)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    workspace = tmp_path_factory.mktemp("demo") / "workspace"
    output, _errors = demo(workspace)
    return workspace, output


def test_the_summary_tells_the_story(first_run: tuple[Path, str]) -> None:
    _workspace, output = first_run
    text = summary(output)
    assert "files taken in: 10 (9 accepted, 1 rejected)" in text, text
    assert re.search(r"856-ship-notice\.x12 +rejected: .*DTM02.*Invalid date.*'20260231'",
                     text), text
    assert re.search(rf"{RMA} +closed \(decision authorized\): requested -> authorized -> "
                     "shipped -> in-transit -> delivered -> received -> closed", text), text
    assert re.search(r"NW0000001 +authorized", text), text
    assert "recipients 1, delivered 1, responded 1 (100%); affected units 1, found 1, " \
           "returned 1" in text, text
    assert re.search(r"northwind +4 acknowledgements \(997\), 1 recall notification .*2 RMA "
                     r"answers \(180\), 4 status updates \(180\); acknowledgements: 1 accepted",
                     text), text
    # Acme's own 861 told it the goods were received: it hears shipped, in-transit, delivered,
    # closed.
    assert re.search(r"acme +2 acknowledgements \(997\), 4 status updates \(status-xml\)",
                     text), text
    for command in (f"show {RMA}", "acks", "recall status 26-031", "files", "console"):
        assert re.search(rf"gateway --config \S+config\.yaml {command} ", text), command


def test_the_progress_says_who_did_what(first_run: tuple[Path, str]) -> None:
    _workspace, output = first_run
    progress = output[:output.index("\nSummary\n")]
    for expected in (
            "northwind  drops 180-return-request.x12",
            f"authorized under RMA {RMA}, 180 answer queued (lines 1, 2: rule 1 ",
            "left for a person (line 1: rule 3 (reason NA): pending",
            "a person   authorizes it",
            "took 856-ship-notice.x12 from northwind: rejected (file #4), 997 queued",
            f"tells northwind: return {RMA} is in-transit",
            f"tells acme: return {RMA} is shipped",
            "recall 26-031: notifies northwind",
            "997 for our group 2 (180 000000002): accepted",
            "acme       drops 861-receiving-advice.x12",
            "took 861-receiving-advice.x12 from acme: accepted (file #10), 997 queued",
            f"tells northwind: return {RMA} is received",
            f"return {RMA} is received",
            f"line 1 of {RMA}: 1 refurbish, 35.00 USD recovered",
            f"tells northwind: return {RMA} is closed",
            "finding: UP 614141000418 (Electric kettle 1.7 l steel): 1 EA short: 1 EA shipped"):
        assert expected in progress, expected
    assert "\033[" not in output  # not a terminal: no colour codes


def test_an_internal_system_takes_the_feed_as_signed_webhooks(first_run: tuple[Path, str]
                                                               ) -> None:
    workspace, output = first_run
    line = re.search(r"warehouse +the internal system on http://127\.0\.0\.1:\d+/\S+ took "
                     r"(\d+) events as signed webhooks \((\d+) verified, 0 forged\); "
                     rf"case {RMA}: (.*)", output)
    assert line is not None, output
    assert int(line[1]) == int(line[2]) > 0  # every one verified by the receiver
    assert "document.received" in line[3] and "document.sent" in line[3]  # our RMA answer
    assert "case.state-changed" in line[3] and "2 recall.hold-placed" in line[3]
    [status] = gateway_json(workspace, "subscriptions", "status")
    assert (status["name"], status["lag"], status["failures"]) == ("warehouse", 0, 0)
    assert status["delivered_cursor"] == int(line[1])
    secret = (workspace / "keys" / "warehouse.whsec").read_text().strip()
    assert secret.startswith("whsec_") and secret not in output  # never printed
    assert "connect a real internal system" in output


def test_the_store_holds_what_the_summary_says(first_run: tuple[Path, str]) -> None:
    workspace, _output = first_run
    sent = gateway_json(workspace, "acks")
    answers = [r for r in sent if r["purpose"] == "rma-answer"]
    assert sorted((r["subject"][-3:], r["ack_state"]) for r in answers) == \
        [("001", "accepted"), ("002", "expected")], answers
    updates = [(r["partner"], r["state"]) for r in sent if r["purpose"] == "status-update"]
    assert sorted(updates) == [("acme", "sent")] * 4 + [("northwind", "sent")] * 4, sent
    shown = gateway_json(workspace, "show", RMA)
    assert [c["state"] for c in shown["cases"]] == ["closed"], shown["cases"]
    # The mixer under recall 26-031 makes the whole return a recall; the damaged kettle
    # alone would be damaged goods (programs/rules.yaml).
    [case] = shown["cases"]
    # Received by the return centre's 861 (no person recorded it), with what it found.
    [received] = [e for e in case["timeline"] if e["state"] == "received"]
    assert received["cause"].startswith("861 RCV"), received
    [receipt] = case["receipts"]
    assert receipt["centre"] == "Acme Appliance Returns Center"
    assert [(line["line"], line["received"]["value"]) for line in receipt["lines"]] == [
        (1, "1"), (2, "1"), (3, "0")]
    found = {(f["kind"], f["item"].split(" (")[0]) for f in case["receipt_findings"]}
    assert found == {("condition", "UP 614141000364"), ("short", "UP 614141000418"),
                     ("below-authorized", "UP 614141000418")}, case["receipt_findings"]
    assert case["program"] == "recall"
    assert [(p["line"], p["program"], p["rule"]) for p in case["line_programs"]] == [
        (1, "recall", 1), (2, "damaged-goods", 5)]
    # Closed by the person's outcomes for the two mixers that arrived (the kettle never did).
    [closed] = [e for e in case["timeline"] if e["state"] == "closed"]
    assert closed["note"] == "every line dispositioned", closed
    done = run_gateway("--config", str(workspace / "config.yaml"), "programs", "report",
                       "--format", "json", cwd=workspace.parent)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    [recalled] = [row for row in report if row["program"] == "recall"]
    assert (recalled["units_dispositioned"], recalled["recovered"]) == ("2", {"USD": "35.00"})
    assert {k: v for k, v in recalled["dispositioned"].items() if v != "0"} == {
        "refurbish": "1", "destroy": "1"}, recalled
    recall = gateway_json(workspace, "recall", "status", "26-031")
    assert (recall["recipient_count"], recall["delivered"], recall["responded"]) == (1, 1, 1)
    files = gateway_json(workspace, "files")
    assert sorted(f["state"] for f in files) == ["accepted"] * 9 + ["rejected"], files


def test_the_workspace_holds_keys_and_checked_partner_files(first_run: tuple[Path, str]
                                                            ) -> None:
    workspace, output = first_run
    for partner_id in PARTNER_IDS:
        assert (workspace / "keys" / partner_id).stat().st_mode & 0o777 == 0o600
        text = (workspace / "partners" / f"{partner_id}.yaml").read_text()
        assert "host: 127.0.0.1" in text and "private_key: {file: " in text
    assert "PRIVATE KEY" not in output  # no secret is ever printed
    checked = run_gateway("--config", str(workspace / "config.yaml"), "partners", "check",
                          cwd=workspace.parent)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_second_run_starts_fresh_and_tells_the_same_story(first_run: tuple[Path, str]
                                                             ) -> None:
    workspace, output = first_run
    (workspace / "sftp" / "northwind" / "outbox" / "left-over.x12").write_text("junk")
    again, _errors = demo(workspace, "--quiet")
    assert summary(again) == summary(output)
    assert "drops" not in again  # --quiet: only the summary
    assert not (workspace / "sftp" / "northwind" / "outbox" / "left-over.x12").exists()


def test_a_folder_that_is_not_a_demo_workspace_is_refused_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "my-work"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    done = run_gateway("demo", "--workspace", str(folder), cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "is not a demo workspace" in done.stderr and "nothing was deleted" in done.stderr
    assert "Traceback" not in done.stderr
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    assert (folder / "notes.txt").read_text() == "mine"


# --- the embedded server, through the gateway's own SFTP adapter ----------------------------
@pytest.fixture
def served(
        tmp_path: Path) -> Iterator[tuple[Workspace, DemoSftpServer, dict[str, PartnerSettings]]]:
    workspace = prepare(tmp_path / "ws")
    keys = write_client_keys(workspace)
    server = DemoSftpServer({p: workspace.sftp_home(p) for p in PARTNER_IDS},
                            {p: [keys[p]] for p in PARTNER_IDS})
    with server:
        write_known_hosts(workspace, server.known_hosts_line())
        yield workspace, server, write_partner_files(workspace, server.port)


def test_the_server_serves_each_partner_its_own_folder(
        served: tuple[Workspace, DemoSftpServer, dict[str, PartnerSettings]]) -> None:
    workspace, _server, partners = served
    assert (workspace.root / MARKER).is_file()
    (workspace.sftp_home("odfl") / "outbox" / "214.x12").write_text("ISA...")
    with SftpChannel(partners["odfl"], timeout=5) as channel:
        assert [f.name for f in channel.list_inbound()] == ["214.x12"]
        assert channel.fetch("214.x12") == b"ISA..."
        channel.after_pickup("214.x12")
        channel.publish("997_000000001.x12", b"ISA*997")
    assert list((workspace.sftp_home("odfl") / "outbox").iterdir()) == []
    assert (workspace.sftp_home("odfl") / "inbox" / "997_000000001.x12").read_bytes() == \
        b"ISA*997"
    assert list((workspace.sftp_home("cpsc") / "inbox").iterdir()) == []


def test_a_user_cannot_leave_its_folder(
        served: tuple[Workspace, DemoSftpServer, dict[str, PartnerSettings]]) -> None:
    workspace, server, _partners = served
    client = paramiko.SSHClient()
    client.load_host_keys(str(workspace.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect("127.0.0.1", port=server.port, username="acme",
                   key_filename=str(workspace.client_key("acme")), look_for_keys=False,
                   allow_agent=False, timeout=5)
    try:
        sftp = client.open_sftp()
        assert sorted(sftp.listdir("/../..")) == ["done", "inbox", "outbox"]
        with pytest.raises(OSError):
            sftp.listdir("/../northwind")
    finally:
        client.close()


def test_a_wrong_key_or_an_unknown_host_key_is_refused(
        served: tuple[Workspace, DemoSftpServer, dict[str, PartnerSettings]]) -> None:
    workspace, _server, partners = served
    pinned = workspace.known_hosts.read_text()
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    port = pinned.split("]:")[1].split()[0]
    workspace.known_hosts.write_text(f"[127.0.0.1]:{port} " + " ".join(
        stranger.export_public_key("openssh").decode().split()[:2]) + "\n")
    with pytest.raises(PermanentTransportError, match=r"(?i)host key"):
        SftpChannel(partners["northwind"], timeout=5).__enter__()
    workspace.known_hosts.write_text(pinned)
    key = workspace.client_key("northwind")
    key.write_bytes(stranger.export_private_key("openssh"))
    with pytest.raises(PermanentTransportError, match="Authentication"):
        SftpChannel(partners["northwind"], timeout=5).__enter__()
