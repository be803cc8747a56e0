"""`gateway run --log-format json` and the redacting filter: fields a log shipper can index,
and no secret in the output, whatever tries to log one."""

from __future__ import annotations

import io
import json
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.monitoring.logs import Progress, configure, redact
from tests.cli import run_gateway
from tests.store.test_daemon import partner_yaml, wait_for
from tests.test_metrics import RunningDaemon, project_with

REPO = Path(__file__).resolve().parents[1]
VALID = REPO / "samples" / "valid"
PASSPHRASE = "Tr0ub4dor-horse-77"
KEY_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB"
PRIVATE_KEY = (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{KEY_BODY}\n"
               "-----END OPENSSH PRIVATE KEY-----\n")
SECURE = """id: secure
name: Secure partner
role: retailer
x12: {isa_qualifier: ZZ, isa_id: SECURE, gs_id: SECURE}
transport:
  type: sftp
  host: 127.0.0.1
  port: 2
  username: gateway
  private_key: {env: SECURE_KEY}
  passphrase: {env: SECURE_PASSPHRASE}
  known_hosts: known_hosts
  inbound: in
  outbound: out
schedule: {every: 1s}
"""


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield io.StringIO()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_the_daemon_logs_one_json_object_a_line_with_what_it_is_about(tmp_path: Path) -> None:
    project = project_with(tmp_path, {
        "northwind": partner_yaml("northwind", ("01", "614832907")),
        "secure": SECURE})
    (project / "known_hosts").write_text("")
    # The partner's key is unreadable (a permanent failure: backed off, alerted, logged) and a
    # file named after its passphrase arrives at another partner: both try to print a secret.
    shutil.copy(VALID / "180-return-request-004010.x12",
                project / f"in/northwind/{PASSPHRASE}.x12")
    env = {**os.environ, "SECURE_KEY": PRIVATE_KEY, "SECURE_PASSPHRASE": PASSPHRASE}
    daemon = RunningDaemon(project, "--log-format", "json", env=env)
    try:
        assert wait_for((project / "out/northwind/997_000000001.x12").exists, 20), daemon.text()
        assert wait_for(lambda: "secure: cannot be polled" in daemon.text(), 20), daemon.text()
    finally:
        text = daemon.stop()

    lines = [json.loads(line) for line in text.splitlines()]  # every line is one JSON object
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    [took] = [line for line in lines if "took" in line["message"]]
    assert took["partner"] == "northwind" and took["file_id"] == 1
    assert took["state"] == "accepted" and took["file"] == "***.x12"
    assert (took["isa13"], took["gs06"], took["st02"]) == (["000000101"], ["101"], ["0001"])
    [sent] = [line for line in lines if line["message"] == "northwind: sent 997_000000001.x12"]
    assert (sent["outbox_kind"], sent["outbox_control"]) == ("997", "000000001")
    assert any(line.get("alert_kind") == "partner-unreachable" and line["partner"] == "secure"
               for line in lines)
    assert PASSPHRASE not in text and KEY_BODY not in text and "PRIVATE KEY" not in text


def test_the_text_format_stays_the_default(tmp_path: Path) -> None:
    done = run_gateway("run", "--help", cwd=tmp_path)
    assert "--log-format {text,json}" in done.stdout


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_are_redacted_from_messages_fields_and_exceptions(
        logged: io.StringIO, log_format: str) -> None:
    redactor = configure(log_format, secrets={"s3cret-webhook"}, stream=logged)
    redactor.remember({"late-added-secret", "1"})  # too short to redact safely: ignored
    log = logging.getLogger("gateway.test")
    log.warning("connect to %s failed", "postgresql+psycopg://gw:hunter22@db/gw")
    log.warning("key: %s", PRIVATE_KEY)
    log.warning("sent headers %s", {"Authorization": "Bearer abc.def.ghi"})
    log.warning("Authorization: Basic dXNlcjpwYXNz and password=letmein1")
    log.warning("signed with late-added-secret", extra={"detail": "s3cret-webhook"})
    try:
        raise ValueError(f"bad passphrase {PASSPHRASE!r} in {PRIVATE_KEY}")
    except ValueError:
        redactor.remember({PASSPHRASE})
        log.exception("reading the key failed")
    out = logged.getvalue()
    for secret in ("hunter22", KEY_BODY, "abc.def.ghi", "dXNlcjpwYXNz", "letmein1",
                   "late-added-secret", "s3cret-webhook", PASSPHRASE):
        assert secret not in out, secret
    assert "gw:***@db" in out
    if log_format == "json":
        records = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert records[4]["detail"] == "***" and "exception" in records[-1]


def test_redaction_leaves_ordinary_text_alone() -> None:
    text = ("northwind: took rma.x12: file #12 accepted; store.url holds a password; "
            "the secret_env names HOOK")
    assert redact(text, {"x"}) == text


def test_progress_goes_to_stderr_a_line_per_item() -> None:
    stream = io.StringIO()
    progress = Progress("replaying", 2, stream)
    progress.step("#12 856.x12")
    progress.step("#14 180.x12")
    assert stream.getvalue().splitlines() == ["replaying 1/2: #12 856.x12",
                                              "replaying 2/2: #14 180.x12"]


def test_replay_and_big_files_report_progress_on_stderr_and_keep_json_on_stdout(
        tmp_path: Path) -> None:
    project = project_with(tmp_path, {"northwind": partner_yaml("northwind",
                                                                ("01", "614832907"))})
    # Carriers' files, not from northwind: rejected.
    for name, sample in (("a.x12", "214-status-004010.x12"),
                         ("b.x12", "../defects/b10-missing.x12")):
        shutil.copy(VALID / sample, project / name)
        assert run_gateway("ingest", "--partner", "northwind", name, cwd=project).returncode == 1
    replayed = run_gateway("replay", "--failed", cwd=project)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stderr.splitlines() == ["replaying 1/2: #1 a.x12 (northwind, rejected)",
                                            "replaying 2/2: #2 b.x12 (northwind, rejected)"]
    assert "replaying" not in replayed.stdout

    big = project / "big.x12"
    big.write_bytes(b"not x12 at all\n" * 80_000)  # 1.2 MB
    for command in (["ingest", "--partner", "northwind"], ["validate"]):
        done = run_gateway(*command, "--json", str(big), cwd=project)
        json.loads(done.stdout)  # untouched by the progress lines
        verb = "ingesting" if command[0] == "ingest" else "validating"
        first, last = done.stderr.splitlines()[-2:]
        assert first == f"{verb} {big} (1.2 MB)..."
        assert last.startswith(f"{verb} {big}: done in ") and last.endswith(" s")
