"""config.yaml: embedded defaults, and errors that name the file, the key and the problem."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.config.settings import load_config
from gateway.errors import ConfigError
from gateway.x12.ack import FunctionalAck, Ta1Policy

REPO = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_the_shipped_config_restates_the_embedded_defaults(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = load_config(REPO / "config.yaml")
    monkeypatch.chdir(tmp_path)  # no config.yaml here
    embedded = load_config()
    assert embedded.source == "embedded defaults"
    assert (shipped.identity, shipped.ack_policy) == (embedded.identity, embedded.ack_policy)


def test_values_override_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "gateway: {isa_id: RETURNSCO}\n"
                                         "acknowledgements: {functional: '999', ta1: always}\n"))
    assert config.identity.isa_id == "RETURNSCO"
    assert config.identity.isa_qualifier == "ZZ"
    assert config.ack_policy.functional is FunctionalAck.ACK_999
    assert config.ack_policy.ta1 is Ta1Policy.ALWAYS


@pytest.mark.parametrize(("text", "key", "problem"), [
    ("gateways: {}\n", "gateways", "not a known section"),
    ("gateway: {isa_idd: X}\n", "gateway.isa_idd", "not a known key"),
    ("gateway: {isa_id: ABCDEFGHIJKLMNOPQ}\n", "gateway.isa_id", "1 to 15"),
    ("gateway: {isa_qualifier: ''}\n", "gateway.isa_qualifier", "1 to 2"),
    ("acknowledgements: {ta1: sometimes}\n", "acknowledgements.ta1", "never, on-request"),
    ("acknowledgements: {functional: 998}\n", "acknowledgements.functional", "997, 999, none"),
    ("gateway: [1, 2]\n", "gateway", "must be a mapping"),
    ("gateway: {isa_id: [A]}\n", "gateway.isa_id", "single value"),
    ("- a\n- b\n", "(top level)", "mapping of keys"),
    ("gateway: {isa_id: 'A\n", "(file)", "not valid YAML"),
    ("duplicates: {keys: 'isa13, isa14'}\n", "duplicates.keys", "use isa13, gs06"),
    ("duplicates: {window_days: soon}\n", "duplicates.window_days", "whole number"),
    ("store: {url: 'postgresql+psycopg://gw:secret@db/edi'}\n", "store.url",
     "holds a password"),
    ("store: {url_env: GATEWAY_TEST_UNSET_VARIABLE}\n", "store.url_env", "is not set"),
    ("validation: {engine: turbo}\n", "validation.engine", "fast, pyx12"),
])
def test_errors_name_file_key_and_problem(tmp_path: Path, text: str, key: str,
                                          problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.source == str(path)
    assert caught.value.key == key
    assert problem in caught.value.problem


def test_the_validation_engine_reaches_every_file_read(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "limits: {hl_depth: 8}\n")).front_door.engine == "fast"
    chosen = load_config(write(tmp_path, "validation: {engine: pyx12}\nlimits: {hl_depth: 8}\n"))
    assert (chosen.front_door.engine, chosen.front_door.limits.hl_depth) == ("pyx12", 8)


def test_a_named_config_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot be read"):
        load_config(tmp_path / "missing.yaml")


def test_the_command_reports_a_config_error_without_a_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "acknowledgements: {ta1: sometimes}\n")
    sample = REPO / "samples" / "valid" / "214-status-004010.x12"
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "--config", str(path), "ack",
                             str(sample)], capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert "acknowledgements.ta1" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr
