"""`gateway partners check` and the partner ids commands accept: two partner files claiming one
ISA identity are named together, a folder climbing out with '..' is refused with file and key
(in partner files and in config.yaml), and every `--partner` / PARTNER argument takes only an
id, refused before any path is built from it.

The commands run in-process through `gateway.cli.command`."""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gateway.cli import args as cli_args
from gateway.cli import command as cli
from gateway.cli import main
from gateway.config.settings import load_config
from gateway.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "valid" / "180-return-request-004010.x12"


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def gateway(capsys: pytest.CaptureFixture[str], *argv: str) -> Outcome:
    try:
        code = main(list(argv))
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else 2
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """config.yaml, the repository's two partner files, and their local folders."""
    (tmp_path / "partners").mkdir()
    for name in ("northwind", "odfl"):
        shutil.copy(REPO / "partners" / f"{name}.yaml", tmp_path / "partners")
    (tmp_path / "config.yaml").write_text(f"paths: {{mappings: '{REPO / 'mappings'}'}}\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def partner_file(project: Path, name: str, isa: str, *, transport: str | None = None) -> Path:
    path = project / "partners" / f"{name}.yaml"
    qualifier, isa_id = isa.split("/")
    path.write_text(f"id: {name}\nname: {name}\nrole: retailer\n"
                    f"x12: {{isa_qualifier: '{qualifier}', "
                    f"isa_id: '{isa_id}', gs_id: {name.upper()}}}\n"
                    f"transport: {transport or '{type: local, inbound: in, outbound: out}'}\n"
                    "schedule: {every: 60s}\n")
    return path


def check(capsys: pytest.CaptureFixture[str], project: Path) -> Outcome:
    return gateway(capsys, "--config", str(project / "config.yaml"), "partners", "check")


def problems_of(outcome: Outcome, file_name: str) -> list[str]:
    """The problem lines `partners check` printed under ``file_name``."""
    found: dict[str, list[str]] = {}
    current = ""
    for line in outcome.out.splitlines():
        if line.startswith("  "):
            found[current].append(line.strip())
        else:
            current = Path(line.split(": ", 1)[0]).name
            found[current] = []
    return found[file_name]


def test_the_shipped_partner_files_check_out(capsys: pytest.CaptureFixture[str],
                                             project: Path) -> None:
    outcome = check(capsys, project)
    assert outcome.code == 0, outcome.out
    assert outcome.out.count(": ok (") == 2


def test_two_partner_files_claiming_one_isa_identity_are_named_together(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    partner_file(project, "northwind-copy", "01/614832907")  # Northwind's identity again
    partner_file(project, "odfl-lower", "02/odfl ")  # ODFL's, in other case and padding
    partner_file(project, "other-duns", "14/614832907")  # the same id, another qualifier

    outcome = check(capsys, project)

    assert outcome.code == 1
    for name, other in (("northwind.yaml", "northwind-copy.yaml"),
                        ("northwind-copy.yaml", "northwind.yaml")):
        [problem] = problems_of(outcome, name)
        assert problem.startswith("x12.isa_id: 01/614832907 is claimed by ")
        assert name in problem and other in problem
    for name in ("odfl.yaml", "odfl-lower.yaml"):
        [problem] = problems_of(outcome, name)
        assert problem.startswith("x12.isa_id: 02/ODFL is claimed by ")
        assert "odfl.yaml" in problem and "odfl-lower.yaml" in problem
    assert problems_of(outcome, "other-duns.yaml") == []
    assert "other-duns.yaml: ok" in outcome.out


def test_a_partner_claiming_the_gateways_own_identity_is_flagged(
        capsys: pytest.CaptureFixture[str], project: Path) -> None:
    partner_file(project, "impostor", "ZZ/RLGATEWAY")
    outcome = check(capsys, project)
    assert outcome.code == 1
    assert problems_of(outcome, "impostor.yaml") == [
        "x12.isa_id: ZZ/RLGATEWAY is the gateway's own identity (gateway.isa_qualifier / "
        "gateway.isa_id in the configuration)"]


@pytest.mark.parametrize(("key", "transport"), [
    ("transport.inbound", "{type: local, inbound: ../acme/outbox, outbound: out}"),
    ("transport.outbound", "{type: local, inbound: in, outbound: 'var/../../etc'}"),
    ("transport.after_pickup", "{type: local, inbound: in, outbound: out, "
                               "after_pickup: 'move:/srv/edi/../acme'}"),
])
def test_a_folder_with_dotdot_is_refused_with_file_and_key(
        capsys: pytest.CaptureFixture[str], project: Path, key: str, transport: str) -> None:
    partner_file(project, "climber", "ZZ/CLIMBER", transport=transport)
    outcome = check(capsys, project)
    assert outcome.code == 1
    assert f"{project / 'partners' / 'climber.yaml'}: 1 problem" in outcome.out
    [problem] = problems_of(outcome, "climber.yaml")
    assert problem.startswith(f"{key}: is ") and "'..' is not allowed in a folder" in problem


@pytest.mark.parametrize("key", ["partners", "mappings", "acks", "canonical", "archive"])
def test_a_configured_folder_with_dotdot_is_refused_with_file_and_key(
        capsys: pytest.CaptureFixture[str], project: Path, key: str) -> None:
    config = project / "config.yaml"
    config.write_text(f"paths: {{{key}: 'var/../../elsewhere'}}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(config)
    assert (caught.value.source, caught.value.key) == (str(config), f"paths.{key}")
    outcome = gateway(capsys, "--config", str(config), "files")
    assert outcome.code == 2 and f"{config}: paths.{key}: is 'var/../../elsewhere'" in outcome.err


def test_configured_folders_are_read_under_the_configs_folder(
        project: Path, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    config = load_config(project / "config.yaml")
    assert config.paths["partners"] == project / "partners"
    assert config.paths["archive"] == project / "var" / "archive"
    assert config.paths["mappings"] == REPO / "mappings"  # absolute: as written


# --- partner ids on the command line --------------------------------------------------------
def partner_arguments(parser: argparse.ArgumentParser, path: str = "gateway"
                      ) -> Iterator[tuple[str, argparse.Action]]:
    """Every argument of every command that names a partner."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from partner_arguments(child, f"{path} {name}")
        elif action.dest == "partner":
            yield path, action


# One way to reach each of them; a command added with a partner argument must be added here.
BAD_PARTNER_COMMANDS = {
    "gateway ingest": ["ingest", "FILE", "--partner", "{bad}"],
    "gateway replay": ["replay", "--failed", "--partner", "{bad}"],
    "gateway files": ["files", "--partner", "{bad}"],
    "gateway acks": ["acks", "--partner", "{bad}"],
    "gateway translate": ["translate", str(SAMPLE), "--partner", "{bad}"],
    "gateway mappings test": ["mappings", "test", "{bad}"],
    "gateway partners test": ["partners", "test", "{bad}"],
    "gateway poll": ["poll", "{bad}"],
    "gateway events": ["events", "--partner", "{bad}"],
    "gateway export events": ["export", "events", "--partner", "{bad}"],
    "gateway export documents": ["export", "documents", "--partner", "{bad}"],
    "gateway export cases": ["export", "cases", "--partner", "{bad}"],
    "gateway export lines": ["export", "lines", "--partner", "{bad}"],
    "gateway programs report": ["programs", "report", "--partner", "{bad}"],
    "gateway tokens create": ["tokens", "create", "recall-office", "--scope", "upload",
                              "--partner", "{bad}"],
}
BAD_IDS = ["../evil", "evil/../../northwind", "Northwind", "north wind", "north_wind", "",
           "nw\x1b[2J", "a" * 65, "/etc/passwd"]


def test_every_partner_argument_takes_only_an_id() -> None:
    found = dict(partner_arguments(cli.full_parser()))
    assert set(found) == set(BAD_PARTNER_COMMANDS)
    assert all(action.type is cli_args.partner_id for action in found.values())


@pytest.mark.parametrize("command", BAD_PARTNER_COMMANDS)
@pytest.mark.parametrize("bad", BAD_IDS)
def test_a_partner_that_is_not_an_id_is_refused_before_any_path_is_built(
        capsys: pytest.CaptureFixture[str], project: Path, command: str, bad: str) -> None:
    """A partner file outside partners/ (../evil.yaml) with a folder holding a file: reached
    by no command, whatever the partner argument says."""
    evil_in = project / "evil-in"
    evil_in.mkdir()
    shutil.copy(SAMPLE, evil_in / "rma.x12")
    (project / "evil.yaml").write_text(
        "id: evil\nname: E\nrole: retailer\nx12: {isa_qualifier: '01', isa_id: '614832907', "
        "gs_id: E}\ntransport: {type: local, inbound: evil-in, outbound: evil-in}\n"
        "schedule: {every: 60s}\n")
    argv = [part.replace("{bad}", bad) for part in BAD_PARTNER_COMMANDS[command]]
    outcome = gateway(capsys, "--config", str(project / "config.yaml"), *argv)
    assert outcome.code == 2
    assert "is not a partner id" in outcome.err and "Traceback" not in outcome.err
    assert "\x1b" not in outcome.err
    assert sorted(p.name for p in evil_in.iterdir()) == ["rma.x12"]  # nothing taken
    assert not (project / "var").exists()  # no store, no archive: nothing ran
