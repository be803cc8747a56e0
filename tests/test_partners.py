"""Partner files: checked before use, every problem named by file and key, no secret inside."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.errors import ConfigError
from gateway.partners import load_partners, read_partner

REPO = Path(__file__).resolve().parents[1]
GOOD = (REPO / "partners" / "northwind.yaml").read_text()


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def test_the_shipped_partner_files_are_right() -> None:
    partners = load_partners(REPO / "partners")
    assert set(partners) == {"northwind", "odfl"}
    northwind = partners["northwind"]
    assert (northwind.isa_qualifier, northwind.isa_id) == ("01", "614832907")
    assert northwind.timezone == "America/New_York" and northwind.every_seconds == 60
    assert partners["odfl"].cron == "*/5 * * * *"


@pytest.mark.parametrize(("change", "key", "problem"), [
    (("role: retailer", "role: shipper"), "role", "use one of retailer"),
    (('isa_qualifier: "01"', "isa_qualifier: Z"), "x12.isa_qualifier", "2 letters or digits"),
    (("id: northwind", "id: southwind"), "id", "must match"),
    (("timezone: America/New_York", "timezone: Mars/Olympus"), "timezone", "a zone such as"),
    (("every: 60s", "every: sometimes"), "schedule.every", "60s, 5m or 1h"),
    (("every: 60s", "every: 0s"), "schedule.every", "at least 1s"),
    (('ta1: on-request', 'ta1: maybe'), "x12.acks.ta1", "on-request"),
    (("type: local", "type: ftp"), "transport.type", "sftp or local"),
    (('component: ">"', 'component: "*"'), "x12.delimiters", "must differ"),
])
def test_each_problem_names_its_key(tmp_path: Path, change: tuple[str, str], key: str,
                                    problem: str) -> None:
    assert change[0] in GOOD
    partner = read_partner(write(tmp_path, "northwind", GOOD.replace(*change)))
    assert any(p.startswith(f"{key}:") and problem in p for p in partner.problems), \
        partner.problems


SFTP = GOOD.replace("type: local", "type: sftp\n  host: 127.0.0.1\n  username: nw\n"
                    "  known_hosts: partners/known_hosts\n  private_key: KEY")


def test_a_private_key_is_a_reference_never_the_key(tmp_path: Path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "known_hosts").write_text("# pinned keys\n")
    folder = tmp_path / "partners"
    literal = read_partner(write(folder, "northwind", SFTP.replace(
        "KEY", '"-----BEGIN OPENSSH PRIVATE KEY----- abc"')))
    assert "transport.private_key: holds a secret itself" in literal.problems
    assert not any("abc" in p for p in literal.problems)  # never echoed
    by_env = read_partner(write(folder, "northwind", SFTP.replace("KEY", "{env: NW_KEY}")))
    assert by_env.problems == () and by_env.transport is not None
    assert by_env.transport.private_key is not None
    assert by_env.transport.private_key.env == "NW_KEY"


def test_load_partners_stops_with_every_problem_of_the_file(tmp_path: Path) -> None:
    write(tmp_path, "northwind", GOOD.replace("role: retailer", "role: x").replace(
        "every: 60s", "every: soon"))
    with pytest.raises(ConfigError) as caught:
        load_partners(tmp_path)
    assert "northwind.yaml" in str(caught.value)
    assert "role:" in str(caught.value) and "schedule.every:" in str(caught.value)


def test_partners_check_command(tmp_path: Path) -> None:
    (tmp_path / "partners").mkdir()
    (tmp_path / "partners" / "known_hosts").write_text("# pinned keys\n")
    write(tmp_path / "partners", "northwind", SFTP.replace("KEY", "{env: NW_TEST_KEY_UNSET}"))
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "partners", "check"],
                            cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "transport.private_key: the environment variable NW_TEST_KEY_UNSET is not set" \
        in result.stdout
