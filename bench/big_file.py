"""One big ship notice end to end: `gateway ingest` and `gateway poll` over SFTP, peak memory.

Generates (or reuses) the 004010 856 of ``--mb`` MiB that `bench/run.py` measures (several
21 MB sets past 20 MiB), then, each from a fresh workspace and SQLite store:

* ``ingest``: ``gateway ingest --partner retailvendor`` of the local file;
* ``poll``: ``gateway poll retailvendor --settle 0`` taking it from a real OpenSSH sshd on
  127.0.0.1 (`bench/small_files.py` starts it): download into the archive, validation,
  mapping, storing, the partner's copy deleted, the 997 published back, the follow-ups.

Printed: wall seconds of the whole command, its peak RSS (``os.wait4``), and what it stored.
The goal of issue 16 is under 200 MB for the 100 MB file, through both.

    .venv/bin/python bench/big_file.py                 # 100 MiB, both modes
    .venv/bin/python bench/big_file.py --mb 21 --modes ingest
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))  # run as a script, beside its kin
from run import ensure_file
from small_files import (
    GATEWAY,
    ROOT,
    Figure,
    Server,
    _gateway,
    _timed,
    sftp_transport,
    sshd,
)

MODES = ("ingest", "poll")
PARTNER = "retailvendor"
SENDER, RECEIVER = "RETAILVENDOR01", "RETURNSGATEWAY"  # the generator's ISA06 / ISA08


def workspace(base: Path, server: Server | None, inbound: Path) -> Path:
    """A fresh folder: the stock config as the generator's receiver, the stock mappings, a
    retailer partner of the generator's sender (over SFTP when ``server`` is given)."""
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    config["gateway"].update(isa_id=RECEIVER, gs_id=RECEIVER)
    (base / "config.yaml").write_text(yaml.safe_dump(config))
    shutil.copytree(ROOT / "mappings", base / "mappings")
    (base / "partners").mkdir()
    partner = yaml.safe_load((ROOT / "partners" / "northwind.yaml").read_text())
    partner["id"] = PARTNER
    partner["x12"].update(isa_qualifier="ZZ", isa_id=SENDER, gs_id=SENDER)
    if server is not None:
        (base / "published").mkdir()
        partner["transport"] = sftp_transport(server, inbound, base / "published")
    (base / "partners" / f"{PARTNER}.yaml").write_text(yaml.safe_dump(partner))
    _gateway(base, "db", "upgrade")
    return base


def stored(space: Path) -> str:
    """What the store holds after the run: files by state, documents, parts."""
    with sqlite3.connect(space / "var" / "gateway.sqlite") as db:
        states = dict(db.execute("select state, count(*) from received_files group by state"))
        documents, parts = db.execute("select count(*), coalesce(sum(parts), 0) "
                                      "from documents").fetchone()
    return f"files {states}, {documents} documents, {parts} JSON parts"


def run_ingest(base: Path, path: Path) -> Figure:
    space = workspace(base / "ingest", None, base)
    seconds, peak, _ = _timed([*GATEWAY, "ingest", "--partner", PARTNER, str(path)], space)
    return Figure("ingest", 1, seconds, peak, stored(space))


def run_poll(base: Path, path: Path, server: Server) -> Figure:
    inbound = base / "inbound"
    shutil.rmtree(inbound, ignore_errors=True)
    inbound.mkdir()
    shutil.copy(path, inbound / path.name)
    space = workspace(base / "poll", server, inbound)
    seconds, peak, _ = _timed([*GATEWAY, "poll", PARTNER, "--settle", "0"], space)
    left = len(list(inbound.iterdir()))
    published = len(list((space / "published").iterdir()))
    return Figure("poll", 1, seconds, peak,
                  f"{stored(space)}; {left} left in the inbound folder, {published} published")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--mb", type=float, default=100, help="file size in MiB (default 100)")
    parser.add_argument("--modes", default=",".join(MODES), help="modes (default both)")
    parser.add_argument("--files", type=Path, default=Path(tempfile.gettempdir()) /
                        "gateway-bench", help="where generated files are kept (reused)")
    parser.add_argument("--dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "gateway-bench-big",
                        help="the bench's working folder (emptied first)")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    path = ensure_file(args.files, "856", args.mb, 1)
    shutil.rmtree(args.dir, ignore_errors=True)
    args.dir.mkdir(parents=True)
    print(f"{path.name}: {path.stat().st_size / 1e6:.1f} MB, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores", flush=True)
    with sshd(args.dir / "sshd") as server:
        for mode in modes:
            figure = run_ingest(args.dir, path) if mode == "ingest" else \
                run_poll(args.dir, path, server)
            print(f"{figure.mode:7} {figure.seconds:8.1f} s  peak {figure.peak_mb:6.0f} MB  "
                  f"{figure.note}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
