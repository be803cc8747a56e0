"""Partner text on a terminal and in a text log: shown escaped, never obeyed (issue 12, item 6).

A partner names its files and fills its values: an ESC [2J clears the operator's screen, an
OSC sets the terminal's title, a bidi override turns ``gnp.exe`` around, and a newline followed
by a fake "ERROR gateway: ..." forges a log line. Each test first builds such a file, then runs
what an operator runs (poll, run, files, show, validate, ingest, recall status) and checks that
the output holds only the escaped forms and that every record is exactly one line.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from gateway.cli import args as cli_args
from gateway.demo.progress import Progress as DemoProgress
from gateway.monitoring.logs import (
    CONTINUATION,
    Progress,
    Timed,
    configure,
    escape_unconfigured_logs,
)
from gateway.text_safety import json_printable, must_escape, printable, printable_lines
from tests.cli import run_gateway
from tests.store.test_daemon import partner_yaml, wait_for
from tests.test_metrics import RunningDaemon, project_with

REPO = Path(__file__).resolve().parents[1]
REQUEST = (REPO / "samples" / "valid" / "180-return-request-004010.x12").read_bytes()
RECALL = (REPO / "samples" / "recall" / "valid-stand-mixer-serials.xml").read_text()

# Written out here, not taken from the helper: what no terminal or log line may receive raw.
RAW = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e"
                 "\u2066-\u2069]")
FORGED = "2026-01-01 00:00:00,000 ERROR gateway: payment file deleted"
NAMES = {  # a partner's file names, each with its own ISA13 (so none is a duplicate)
    "clear\x1b[2J.x12": "000000201",
    f"rma.x12\n{FORGED}.x12": "000000202",
    "invoice\u202egnp.x12": "000000203",
}
SHOWN = {  # how each is shown
    "clear\x1b[2J.x12": "clear\\x1b[2J.x12",
    f"rma.x12\n{FORGED}.x12": f"rma.x12\\n{FORGED}.x12",
    "invoice\u202egnp.x12": "invoice\\u202egnp.x12",
}
RECORD = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def assert_no_raw_controls(text: str) -> None:
    """Only our own line breaks: no control, bidi or separator character a partner sent."""
    found = RAW.search(text)
    assert found is None, f"raw {found.group()!r} at {found.start()}: {text!r}"


def request_with(isa13: str) -> bytes:
    return REQUEST.replace(b"000000101", isa13.encode())


# --- the helper ------------------------------------------------------------------------------
@pytest.mark.parametrize("char", [
    *map(chr, range(0x00, 0x20)), "\x7f", *map(chr, range(0x80, 0xA0)),
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    "\u200e", "\u200f", "\u061c", "\u2028", "\u2029", "\udcff"])
def test_every_control_bidi_and_separator_is_written_as_its_escape(char: str) -> None:
    shown = printable(f"a{char}b")
    assert shown == "a" + repr(char)[1:-1] + "b"  # Python's own spelling: \x1b, \u202e, \n
    assert must_escape(char) and shown.isprintable()


def test_ordinary_text_is_left_alone() -> None:
    text = "Société Générale 0412 · 中文 · 🙂 · C:\\returns\\rma 'x' \"y\" ~*>"
    assert printable(text) == text and json_printable(text) == text
    assert not any(must_escape(c) for c in text)


def test_the_readable_forms_match_the_issue() -> None:
    assert printable("\x1b[2J") == "\\x1b[2J"
    assert printable("exe\u202etxt") == "exe\\u202etxt"
    assert printable("a\nb\r\tc\x85d") == "a\\nb\\r\\tc\\x85d"
    assert printable("tag\U000e0001") == "tag\\U000e0001"  # beyond the BMP: \U form
    assert printable(printable("\x1b\n")) == printable("\x1b\n")  # escaping twice is harmless


def test_the_command_line_uses_the_shared_helper() -> None:
    hostile = "a\x1b]0;title\x07\u202e\u2028\x9b\n"
    assert cli_args.printable(hostile) == printable(hostile) == \
        "a\\x1b]0;title\\x07\\u202e\\u2028\\x9b\\n"


def test_printable_lines_keeps_our_line_breaks_and_escapes_the_partners() -> None:
    assert printable_lines(["ours", "theirs\nFORGED"]) == "ours\ntheirs\\nFORGED"


def test_json_printable_is_the_same_json_with_nothing_a_terminal_acts_on() -> None:
    value = {"name": "a\x1b[2J\x7f\x9b\u202e\u2028\n\udcffé\U000e0001", "n": 1}
    dumped = json.dumps(value, indent=2, ensure_ascii=False)
    shown = json_printable(dumped)
    assert json.loads(shown) == value and "é" in shown
    assert_no_raw_controls(shown)
    assert "\\u009b" in shown and "\\u202e" in shown and "\\udb40\\udc01" in shown


# --- logs --------------------------------------------------------------------------------------
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


def test_a_text_log_record_is_one_escaped_line_whatever_its_arguments(
        logged: io.StringIO) -> None:
    configure("text", secrets={"s3cret-passphrase"}, stream=logged)
    log = logging.getLogger("gateway.run")
    for name in NAMES:
        log.info("%s: took %s: file #%d %s", "northwind", name, 7, "accepted")
    log.warning("%s: left %s", "northwind", "x.x12\u2028s3cret-passphrase\x85")
    out = logged.getvalue()
    assert_no_raw_controls(out)
    lines = out.splitlines()  # also splits at \x85 and \u2028, were they left raw
    assert len(lines) == len(NAMES) + 1 and all(RECORD.match(line) for line in lines)
    for line, shown in zip(lines, SHOWN.values(), strict=False):
        assert line.endswith(f"INFO gateway.run: northwind: took {shown}: file #7 accepted")
    assert lines[-1].endswith("left x.x12\\u2028***\\x85")  # redacted, then escaped


def test_a_traceback_follows_its_record_on_indented_escaped_lines(logged: io.StringIO) -> None:
    configure("text", stream=logged)
    try:
        raise ValueError(f"cannot read rma.x12\n{FORGED}\x1b[2J")
    except ValueError:
        logging.getLogger("gateway.alerts").exception("alert %s not delivered", "x\ny")
    first, *rest = logged.getvalue().splitlines()
    assert RECORD.match(first) and first.endswith("alert x\\ny not delivered")
    assert rest and all(line.startswith(CONTINUATION) for line in rest)
    assert f"{CONTINUATION}{FORGED}\\x1b[2J" in rest  # the forged line cannot pass as a record
    assert_no_raw_controls(logged.getvalue())


def test_json_log_lines_escape_what_json_dumps_would_leave_raw(logged: io.StringIO) -> None:
    """The JSON format escapes too (json.dumps leaves DEL, C1, bidi and U+2028 raw)."""
    configure("json", stream=logged)
    name = "a\x1b[2J\x7f\x9b31m\u202egnp\u2028\n" + FORGED
    logging.getLogger("gateway.run").info("northwind: took %s", name, extra={"file": name})
    out = logged.getvalue()
    assert_no_raw_controls(out.removesuffix("\n"))
    [line] = out.splitlines()
    record = json.loads(line)
    assert record["file"] == name and record["message"] == f"northwind: took {name}"


def test_warnings_of_commands_that_configure_no_logging_are_escaped(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(logging, "lastResort", logging.lastResort)  # restored afterwards
    escape_unconfigured_logs()
    escape_unconfigured_logs()  # idempotent
    record = logging.LogRecord("gateway.transport.retry", logging.WARNING, __file__, 1,
                               "attempt %d failed (%s)", (1, f"fetch rma.x12\n{FORGED}"), None)
    assert logging.lastResort is not None
    logging.lastResort.handle(record)
    assert capsys.readouterr().err == f"attempt 1 failed (fetch rma.x12\\n{FORGED})\n"


def test_progress_lines_escape_the_names_they_carry() -> None:
    stream = io.StringIO()
    Progress("replaying", 1, stream).step(f"#1 rma.x12\n{FORGED} (northwind, rejected)")
    with Timed("ingesting", "big\x1b[2J.x12", 2_000_000, stream):
        pass
    lines = stream.getvalue().splitlines()
    assert lines[0] == f"replaying 1/1: #1 rma.x12\\n{FORGED} (northwind, rejected)"
    assert lines[1] == "ingesting big\\x1b[2J.x12 (2.0 MB)..." and len(lines) == 3


def test_the_demo_colours_its_lines_but_escapes_what_partners_wrote() -> None:
    out = io.StringIO()
    progress = DemoProgress(out, colour=True)
    progress.says("gateway", "took clear\x1b[2J\u202e.x12 from northwind", "green")
    progress.note(f"why: {FORGED}\n{FORGED}")
    progress.print("recall \x9d0;title\x9c", "bold")
    ours = re.sub(r"\x1b\[[0-9;]*m", "", out.getvalue())  # our own colour codes
    assert_no_raw_controls(ours)
    assert "took clear\\x1b[2J\\u202e.x12" in ours and "recall \\x9d0;title\\x9c" in ours
    assert len(ours.splitlines()) == 3


# --- the commands, on a real store --------------------------------------------------------------
@pytest.fixture
def project(tmp_path: Path) -> Path:
    coordinator = partner_yaml("cpsc", ("ZZ", "CPSC")).replace("role: retailer",
                                                               "role: recall-coordinator")
    return project_with(tmp_path, {"northwind": partner_yaml("northwind", ("01", "614832907")),
                                   "cpsc": coordinator})


def drop_hostile_names(project: Path) -> None:
    for name, isa13 in NAMES.items():
        (project / "in" / "northwind" / name).write_bytes(request_with(isa13))


def test_poll_files_show_and_replay_show_hostile_file_names_escaped(project: Path) -> None:
    drop_hostile_names(project)
    polled = run_gateway("poll", "northwind", "--settle", "0", cwd=project)
    assert polled.returncode == 0, polled.stderr
    assert_no_raw_controls(polled.stdout + polled.stderr)
    numbers = _file_numbers(project)
    took = [line for line in polled.stdout.splitlines() if line.startswith("took ")]
    assert sorted(took) == sorted(f"took {shown}: file #{n} accepted" for n, shown in
                                  zip(numbers, SHOWN.values(), strict=True)), polled.stdout
    assert all(line.startswith(("took ", "sent ", "  ")) for line in polled.stdout.splitlines())

    listed = run_gateway("files", cwd=project).stdout
    assert_no_raw_controls(listed)
    assert len(listed.splitlines()) == len(NAMES)  # one line a file: no forged row
    assert all(shown in listed for shown in SHOWN.values())

    number = numbers[1]  # the one with a newline and a forged log line
    shown = run_gateway("show", f"#{number}", cwd=project).stdout
    assert_no_raw_controls(shown)
    assert shown.splitlines()[0].startswith(f"file #{number}: {SHOWN[list(NAMES)[1]]} from ")
    case = run_gateway("show", "RR20260114001", cwd=project).stdout
    assert_no_raw_controls(case)
    assert all(shown in case for shown in SHOWN.values())

    replayed = run_gateway("replay", *(f"#{n}" for n in numbers), cwd=project)
    assert replayed.returncode == 0, replayed.stderr
    assert_no_raw_controls(replayed.stdout + replayed.stderr)
    assert len(replayed.stderr.splitlines()) == len(NAMES)  # one progress line a file
    assert f"#{number} {SHOWN[list(NAMES)[1]]} (northwind, accepted)" in replayed.stderr


def _file_numbers(project: Path) -> list[int]:
    """The store's number of each of NAMES, in NAMES' order."""
    rows = json.loads(run_gateway("files", "--json", cwd=project).stdout)
    by_name = {row["name"]: row["id"] for row in rows}
    return [by_name[name] for name in NAMES]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_daemon_log_keeps_one_record_a_line(project: Path, log_format: str) -> None:
    drop_hostile_names(project)
    daemon = RunningDaemon(project, "--log-format", log_format)
    try:
        assert wait_for(lambda: len(list((project / "out/northwind").glob("997_*"))) == 3, 30), \
            daemon.text()
    finally:
        text = daemon.stop()
    assert_no_raw_controls(text)
    lines = text.splitlines()
    if log_format == "json":
        records = [json.loads(line) for line in lines]  # one object a line
        assert sorted(r["file"] for r in records if "took" in r["message"]) == sorted(NAMES)
        return
    assert all(RECORD.match(line) for line in lines), text  # no line is a forged record
    assert not any(line.startswith(FORGED[:23]) for line in lines)
    for shown in SHOWN.values():
        assert any(f"INFO gateway.run: northwind: took {shown}: file #" in line
                   for line in lines), (shown, text)


HOSTILE_VALUES = REQUEST.replace(b"SE*28*0001", b"SE*28*0001\x1b]0;pwned\x07") \
    .replace(b"GE*1*101", "GE*1*101\u202e".encode()).replace(b"000000101", b"000000204")


def test_validate_ingest_and_show_quote_partner_values_escaped(project: Path) -> None:
    (project / "hostile.x12").write_bytes(HOSTILE_VALUES)
    checked = run_gateway("validate", "hostile.x12", cwd=project)
    assert checked.returncode == 1, checked.stderr
    assert_no_raw_controls(checked.stdout)
    assert "SE02 (0001\\x1b]0;pwned\\x07) does not match ST02 (0001)." in checked.stdout
    assert "Found '101\\u202e'." in checked.stdout  # the bidi override, read as UTF-8
    assert len(checked.stdout.splitlines()) == 6  # file, interchange, group, set, 2 findings
    assert [line.split()[0] for line in checked.stdout.splitlines()].count("ERROR") == 2

    taken = run_gateway("ingest", "--partner", "northwind", "hostile.x12", cwd=project)
    assert taken.returncode == 1 and "rejected" in taken.stdout, taken.stderr
    assert_no_raw_controls(taken.stdout)
    assert len(taken.stdout.splitlines()) == 2  # the result and its reason
    number = json.loads(run_gateway("files", "--json", cwd=project).stdout)[0]["id"]
    shown = run_gateway("show", f"#{number}", cwd=project).stdout
    assert_no_raw_controls(shown)
    assert "SE02 (0001\\x1b]0;pwned\\x07) does not match ST02 (0001). [AK502 3]" in shown
    assert all(line.startswith(("file #", "  ")) for line in shown.splitlines())


def test_recall_notices_are_shown_escaped_by_validate_and_recall_status(project: Path) -> None:
    osc, bidi = "\u009d0;pwned\u009c", "\u202e"  # the one-character OSC and string terminator
    notice_id = f"26-031{bidi}{osc}"
    hostile_id = RECALL.replace("<NoticeId scheme=\"CPSC\">26-031<",
                                f"<NoticeId scheme=\"CPSC\">{notice_id}<")
    (project / "hostile-id.xml").write_text(hostile_id, encoding="utf-8")
    checked = run_gateway("validate", "hostile-id.xml", cwd=project)
    assert_no_raw_controls(checked.stdout)
    assert "26-031\\u202e\\x9d0;pwned\\x9c" in checked.stdout, checked.stdout

    title = f"Mixers recalled{bidi}\n{FORGED}\x7f{osc}"
    hostile_title = RECALL.replace(
        "<Title>Acme 5 qt Stand Mixers Recalled Due to Motor Overheating</Title>",
        f"<Title>{title.replace(chr(10), '&#10;')}</Title>")
    (project / "notice.xml").write_text(hostile_title, encoding="utf-8")
    taken = run_gateway("ingest", "--partner", "cpsc", "notice.xml", cwd=project)
    assert "accepted" in taken.stdout, taken.stdout + taken.stderr
    status = run_gateway("recall", "status", "26-031", cwd=project)
    assert status.returncode == 0, status.stderr
    assert_no_raw_controls(status.stdout)
    assert status.stdout.splitlines()[0] == f"recall 26-031: {printable(title)}"
    assert "Mixers recalled\\u202e\\n2026-01-01" in status.stdout


def test_the_text_of_every_finding_is_one_line_even_from_the_json_report(project: Path) -> None:
    """The JSON report keeps the values themselves: its encoder escapes them."""
    (project / "hostile.x12").write_bytes(HOSTILE_VALUES)
    checked = run_gateway("validate", "--json", "hostile.x12", cwd=project)
    assert_no_raw_controls(checked.stdout)
    found = [f["found"] for g in json.loads(checked.stdout)["interchanges"][0]["groups"]
             for s in g["transaction_sets"] for f in s["findings"]]
    assert "0001\x1b]0;pwned\x07" in found
