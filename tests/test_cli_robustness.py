"""Bad input to `gateway ...` gets one plain line on standard error and a non-zero exit, never a
Python traceback: huge or non-positive numbers, file numbers the store cannot hold, store URLs
that do not parse, and read-only commands run before the store exists (issue 11, item 9).

The commands run in-process through `gateway.cli.command`, on a temporary config and SQLite store.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.cli import main
from gateway.cli import store as cli_store
from gateway.cli.args import FILE_NUMBER_MAX, MAX_ROWS

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "valid" / "856-pick-pack-004010.x12"
HUGE = "99999999999999999999999"


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str

    @property
    def message(self) -> str:
        """The last line on standard error: what the person is told."""
        lines = self.err.strip().splitlines()
        return lines[-1] if lines else ""


def gateway(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    """`gateway ARGV` in-process; argparse's exit is an outcome like any other."""
    try:
        code = main(list(argv))
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 2
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def assert_plain_refusal(outcome: Outcome, *words: str, code: int = 2) -> None:
    assert outcome.code == code, (outcome.out, outcome.err)
    assert "Traceback" not in outcome.err + outcome.out
    assert len(outcome.err.strip().splitlines()) == 1, outcome.err  # one line, no usage dump
    assert outcome.err.startswith("gateway"), outcome.err
    for word in words:
        assert word in outcome.message, outcome.message


def write_config(root: Path, store: str) -> Path:
    config = root / "config.yaml"
    config.write_text(f"store:\n  {store}\n"
                      f"paths: {{archive: '{root / 'archive'}', partners: '{root / 'partners'}',"
                      f" mappings: '{REPO / 'mappings'}'}}\n"
                      "archive: {retention_days: 30}\n", encoding="utf-8")
    return config


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A configuration whose SQLite store (in a folder of its own) does not exist yet."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "partners").mkdir()
    return write_config(tmp_path, f"url: 'sqlite:///{tmp_path / 'db' / 'gateway.sqlite'}'")


@pytest.fixture
def upgraded(config: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    assert gateway(capsys, "--config", str(config), "db", "upgrade").code == 0
    yield config


# --- numbers ------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [HUGE, "-1", "0", str(MAX_ROWS + 1), "ten"])
@pytest.mark.parametrize("command", ["files", "acks"])
def test_a_limit_outside_its_bounds_is_a_usage_error(
        upgraded: Path, capsys: pytest.CaptureFixture[str], command: str, value: str) -> None:
    outcome = gateway(capsys, "--config", str(upgraded), command, "--limit", value)
    assert_plain_refusal(outcome, "--limit", f"1 to {MAX_ROWS}", repr(value))


@pytest.mark.parametrize("command", ["files", "acks"])
def test_the_largest_limit_is_taken(upgraded: Path, capsys: pytest.CaptureFixture[str],
                                    command: str) -> None:
    outcome = gateway(capsys, "--config", str(upgraded), command, "--limit", str(MAX_ROWS))
    assert outcome.code == 0 and outcome.err == ""


@pytest.mark.parametrize("reference", [f"#{HUGE}", f"#{FILE_NUMBER_MAX + 1}", "#-1", "#0",
                                       "#+5", "#\u00b2"])
def test_show_refuses_a_file_number_the_store_cannot_hold(
        upgraded: Path, capsys: pytest.CaptureFixture[str], reference: str) -> None:
    outcome = gateway(capsys, "--config", str(upgraded), "show", reference)
    assert_plain_refusal(outcome, repr(reference), f"1 to {FILE_NUMBER_MAX}")


def test_show_of_the_largest_file_number_says_there_is_no_such_file(
        upgraded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = gateway(capsys, "--config", str(upgraded), "show", f"#{FILE_NUMBER_MAX}")
    assert_plain_refusal(outcome, f"there is no file #{FILE_NUMBER_MAX}", code=1)


@pytest.mark.parametrize("reference", [f"#{HUGE}", "#-1", "#0", "12", "#x"])
def test_replay_refuses_a_file_number_the_store_cannot_hold(
        upgraded: Path, capsys: pytest.CaptureFixture[str], reference: str) -> None:
    outcome = gateway(capsys, "--config", str(upgraded), "replay", reference)
    assert_plain_refusal(outcome, repr(reference), "'#N'")


@pytest.mark.parametrize("option", ["--interchange-control", "--group-control"])
@pytest.mark.parametrize("value", [HUGE, "-1", "0", "1000000000"])
def test_control_numbers_beyond_nine_digits_are_refused(
        config: Path, capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    outcome = gateway(capsys, "--config", str(config), "ack", option, value, str(SAMPLE))
    assert_plain_refusal(outcome, option, "1 to 999999999")
    assert outcome.out == ""  # no acknowledgement with a ten-digit ISA13 was printed


@pytest.mark.parametrize(("argv", "option"), [
    (["poll", "northwind", "--settle", "nan"], "--settle"),
    (["poll", "northwind", "--settle", "-1"], "--settle"),
    (["run", "--settle", "inf"], "--settle"),
    (["run", "--outbox-every", "0"], "--outbox-every"),
    (["run", "--metrics-port", "65536"], "--metrics-port"),
    (["console", "--port", HUGE], "--port"),
    (["rma", "authorize", "RQ-1", "--lines", "1,-2"], "--lines"),
    (["rma", "authorize", "RQ-1", "--lines", HUGE], "--lines"),
    (["files", "--since", "0001-01-01"], "--since"),
])
def test_other_numbers_outside_their_bounds_are_usage_errors(
        config: Path, capsys: pytest.CaptureFixture[str], argv: list[str], option: str) -> None:
    outcome = gateway(capsys, "--config", str(config), *argv)
    assert_plain_refusal(outcome, option)


# --- the store URL ---------------------------------------------------------------------------
BAD_URLS = {
    "does not parse": "not a url",
    "host does not parse": "postgresql+psycopg://[bad",
    "port does not parse": "postgresql+psycopg://gw@db.example:abc/gateway",
    "unknown database": "foo://x/y",
    "unknown driver": "postgresql+nodriver://gw@db.example/gateway",
    "driver not installed": "mysql://gw@db.example/gateway",
    "in memory": "sqlite://",
}


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_a_store_url_that_cannot_work_is_a_config_error_naming_file_and_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str) -> None:
    config = write_config(tmp_path, f"url: '{url}'")
    outcome = gateway(capsys, "--config", str(config), "files")
    assert_plain_refusal(outcome, f"{config}: store.url:")


@pytest.mark.parametrize("url", BAD_URLS.values(), ids=BAD_URLS.keys())
def test_a_store_url_from_the_environment_is_checked_without_being_shown(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        url: str) -> None:
    config = write_config(tmp_path, "url_env: GATEWAY_TEST_DB_URL")
    monkeypatch.setenv("GATEWAY_TEST_DB_URL", url)
    outcome = gateway(capsys, "--config", str(config), "files")
    assert_plain_refusal(outcome, f"{config}: store.url_env:", "GATEWAY_TEST_DB_URL")
    assert repr(url) not in outcome.err  # it may hold a password: never echoed


def test_a_password_in_a_store_url_that_does_not_parse_is_never_shown(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    config = write_config(tmp_path, "url_env: GATEWAY_TEST_DB_URL")
    monkeypatch.setenv("GATEWAY_TEST_DB_URL", "postgresql+psycopg://gw:s3cr3t-pw@[bad/gateway")
    outcome = gateway(capsys, "--config", str(config), "files")
    assert_plain_refusal(outcome, "store.url_env", "host")
    assert "s3cr3t" not in outcome.err


def test_a_store_that_cannot_be_reached_is_one_plain_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_config(tmp_path, "url: 'postgresql+psycopg://gateway@127.0.0.1:1/gateway'")
    outcome = gateway(capsys, "--config", str(config), "files")
    assert_plain_refusal(outcome, "cannot open the store", "127.0.0.1:1")


# --- read-only commands never create the store -------------------------------------------
READ_ONLY = [["files"], ["show", "RMA7734021"], ["show", "#1"], ["acks"],
             ["recall", "status", "26-031"], ["replay", "--failed", "--dry-run"],
             ["archive", "purge", "--dry-run"], ["console"],
             ["ingest", "--partner", "northwind", str(SAMPLE)], ["rma", "close", "NW0000001"]]


@pytest.mark.parametrize("argv", READ_ONLY, ids=" ".join)
def test_a_command_on_a_missing_store_says_so_and_creates_nothing(
        config: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        argv: list[str]) -> None:
    outcome = gateway(capsys, "--config", str(config), *argv)
    assert_plain_refusal(outcome, "does not exist yet", "gateway db upgrade")
    assert not (config.parent / "db").exists()  # neither the file nor its folder


def test_db_upgrade_creates_the_store_and_its_folder(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert gateway(capsys, "--config", str(config), "db", "upgrade").code == 0
    assert (config.parent / "db" / "gateway.sqlite").is_file()
    assert gateway(capsys, "--config", str(config), "files").out == "no files\n"


# --- what is echoed is escaped -------------------------------------------------------------
@pytest.mark.parametrize("argv", [["show", "\x1b[31mRMA\x1b[0m"], ["files", "--partner", "a\rb"],
                                  ["validate", "in\nbox.x12"], ["files", "--bogus\x1b[2J"]])
def test_control_characters_in_arguments_are_refused_and_echoed_escaped(
        upgraded: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    outcome = gateway(capsys, "--config", str(upgraded), *argv)
    assert_plain_refusal(outcome)
    assert not any(c in outcome.err for c in "\x1b\r\x00") and outcome.err.count("\n") == 1


def test_a_file_name_a_partner_chose_is_shown_escaped(
        upgraded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A partner names its files: an escape sequence in the name must not reach the terminal
    raw from `poll`, `files`, `show` or `replay`."""
    root = upgraded.parent
    shutil.copy(REPO / "partners" / "northwind.yaml", root / "partners")
    outbox = root / "var" / "partners" / "northwind" / "outbox"
    for folder in (outbox, outbox.parent / "inbox", outbox.parent / "done"):
        folder.mkdir(parents=True)
    hostile = "rma\x1b]0;owned\x07\x1b[2J\r.x12"
    shutil.copy(SAMPLE, outbox / hostile)
    said = [gateway(capsys, "--config", str(upgraded), *argv) for argv in (
        ["poll", "northwind", "--settle", "0"], ["files"], ["show", "#1"],
        ["replay", "#1", "--dry-run"], ["replay", "#1"])]
    assert all(outcome.code == 0 for outcome in said), said
    shown = "".join(outcome.out + outcome.err for outcome in said)
    assert shown.count(r"rma\x1b]0;owned\x07\x1b[2J\r.x12") >= 5
    assert not any(c in shown for c in "\x1b\x07\r")


# --- the last resort ------------------------------------------------------------------------
UNFORESEEN = {
    "a fault of ours": (RuntimeError("boom\x1b[2J\nsecond line"), 70, [
        "internal error (RuntimeError: boom", "please report it", "GATEWAY_DEBUG=1"]),
    "Ctrl-C": (KeyboardInterrupt(), 130, ["interrupted"]),
    "a folder refused": (PermissionError(13, "Permission denied", "var/archive"), 2,
                         ["var/archive: Permission denied"]),
}


@pytest.mark.parametrize("case", UNFORESEEN.values(), ids=UNFORESEEN.keys())
def test_an_error_no_command_expected_is_still_one_line(
        upgraded: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        case: tuple[BaseException, int, list[str]]) -> None:
    """What no command foresaw (a fault of ours, Ctrl-C, a folder the system refuses) ends as
    one escaped line too; the walk in tests/test_cli_hostile_values.py checks that no hostile
    argument ever needs this net."""
    raised, code, words = case

    def fail(*_args: object) -> None:
        raise raised
    monkeypatch.setattr(cli_store, "open_store", fail)
    monkeypatch.delenv("GATEWAY_DEBUG", raising=False)
    outcome = gateway(capsys, "--config", str(upgraded), "files")
    assert_plain_refusal(outcome, *words, code=code)
    assert "\x1b" not in outcome.err


def test_gateway_debug_shows_the_traceback_of_an_internal_error(
        upgraded: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_args: object) -> None:
        raise RuntimeError("boom")
    monkeypatch.setattr(cli_store, "open_store", fail)
    monkeypatch.setenv("GATEWAY_DEBUG", "1")
    with pytest.raises(RuntimeError, match="boom"):
        main(["--config", str(upgraded), "files"])
