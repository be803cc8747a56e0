"""The largest numbers the command line lets through are ones both stores can hold: at the
bounds of `gateway.cli.args`, SQLite and a real PostgreSQL answer in words, and one past them
argparse refuses before the store is asked (issue 11, item 9: "Python int too large to convert
to SQLite INTEGER", PostgreSQL's "bigint out of range")."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.cli.args import FILE_NUMBER_MAX, MAX_ROWS
from gateway.store.engine import open_engine
from gateway.store.migrate import upgrade
from tests.test_cli_robustness import assert_plain_refusal, gateway, write_config


@pytest.fixture
def config(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "partners").mkdir()
    engine = open_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return write_config(tmp_path, f"url: '{database_url}'")


def test_the_largest_file_number_is_asked_and_not_found(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    shown = gateway(capsys, "--config", str(config), "show", f"#{FILE_NUMBER_MAX}")
    assert_plain_refusal(shown, f"there is no file #{FILE_NUMBER_MAX}", code=1)
    replayed = gateway(capsys, "--config", str(config), "replay", f"#{FILE_NUMBER_MAX}")
    assert_plain_refusal(replayed, f"there is no file #{FILE_NUMBER_MAX}")
    decided = gateway(capsys, "--config", str(config), "rma", "close", f"#{FILE_NUMBER_MAX}")
    assert decided.code == 1 and "Traceback" not in decided.err


@pytest.mark.parametrize("command", ["files", "acks"])
def test_the_largest_limit_is_taken(config: Path, capsys: pytest.CaptureFixture[str],
                                    command: str) -> None:
    outcome = gateway(capsys, "--config", str(config), command, "--limit", str(MAX_ROWS))
    assert (outcome.code, outcome.err) == (0, "")


@pytest.mark.parametrize("argv", [["show", f"#{FILE_NUMBER_MAX + 1}"],
                                  ["replay", f"#{FILE_NUMBER_MAX + 1}"],
                                  ["rma", "close", f"#{FILE_NUMBER_MAX + 1}"],
                                  ["files", "--limit", str(2**63)]])
def test_one_past_the_bounds_never_reaches_the_store(
        config: Path, capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    assert_plain_refusal(gateway(capsys, "--config", str(config), *argv))
