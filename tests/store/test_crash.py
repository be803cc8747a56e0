"""Kill the real gateway with SIGKILL at each step, deliver the file again, and check that it
was processed exactly once: no lost file, no doubled acknowledgement, nothing half-written."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from gateway.faults import POINTS
from gateway.store.schema import documents, interchanges, outbox, received_files

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "samples" / "valid" / "856-pick-pack-004010.x12"


def workspace(tmp_path: Path, database_url: str, lease_seconds: int = 0) -> Path:
    """A lease of 0 models a re-delivery after the dead worker's lease ran out."""
    (tmp_path / "config.yaml").write_text(
        f"store: {{url: '{database_url}'}}\n"
        f"processing: {{lease_seconds: {lease_seconds}}}\n"
        f"paths: {{archive: archive, mappings: '{REPO / 'mappings'}'}}\n")
    return tmp_path


def gateway(root: Path, *args: str, crash_at: str | None = None
            ) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", **({"GATEWAY_CRASH_AT": crash_at} if crash_at else {})}
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], cwd=root, env=env,
                          capture_output=True, text=True, check=False, timeout=120)


def counts(database_url: str) -> dict[str, int]:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        found = {t.name: int(connection.execute(select(func.count()).select_from(t))
                             .scalar_one()) for t in (received_files, interchanges, documents,
                                                      outbox)}
        found["unfinished"] = int(connection.execute(
            select(func.count()).select_from(received_files)
            .where(received_files.c.state == "received")).scalar_one())
    engine.dispose()
    return found


@pytest.mark.parametrize("point", POINTS)
def test_a_crash_at_any_point_leaves_everything_once(tmp_path: Path, database_url: str,
                                                      point: str) -> None:
    root = workspace(tmp_path, database_url)
    assert gateway(root, "db", "upgrade").returncode == 0

    crashed = gateway(root, "ingest", "--partner", "northwind", str(SAMPLE), crash_at=point)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr

    redelivered = gateway(root, "ingest", "--partner", "northwind", str(SAMPLE))
    assert redelivered.returncode == 0, redelivered.stdout + redelivered.stderr
    after = counts(database_url)
    assert after["unfinished"] == 0  # nothing left half-done
    assert after["interchanges"] == 1 and after["documents"] == 1  # processed exactly once
    assert after["outbox"] == 1  # one 997: neither lost nor doubled
    if point == "after-commit":  # the first run finished: the second is a duplicate
        assert "duplicate" in redelivered.stdout and after["received_files"] == 2
    else:  # the first run left nothing processed: the second did the work
        assert "accepted" in redelivered.stdout and after["received_files"] == 1
    assert len(list((root / "archive").rglob("*"))) >= 1
    assert not list((root / "archive").rglob(".incoming-*"))  # no half-written archive file


def test_a_copy_arriving_while_the_lease_holds_is_left_for_later(tmp_path: Path,
                                                                  database_url: str) -> None:
    root = workspace(tmp_path, database_url, lease_seconds=2)
    assert gateway(root, "db", "upgrade").returncode == 0
    crashed = gateway(root, "ingest", "--partner", "northwind", str(SAMPLE),
                      crash_at="mid-transaction")
    assert crashed.returncode == -signal.SIGKILL
    early = gateway(root, "ingest", "--partner", "northwind", str(SAMPLE))
    assert early.returncode == 0 and "in-progress" in early.stdout
    assert counts(database_url)["unfinished"] == 1  # kept, not lost, not taken twice
    time.sleep(2.5)
    late = gateway(root, "ingest", "--partner", "northwind", str(SAMPLE))
    assert late.returncode == 0 and "accepted" in late.stdout
    after = counts(database_url)
    assert (after["unfinished"], after["documents"], after["outbox"]) == (0, 1, 1)
