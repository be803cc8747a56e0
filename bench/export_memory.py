"""Peak memory of `gateway export` over a large store: the export streams, so it stays flat.

Makes a SQLite store (`gateway db upgrade`) and fills it with bulk inserts (not the pipeline:
only the export is measured): N document.received events whose data is a canonical 856, and
return requests of five lines each (canonical 180s, with their correlation keys) for the line
export. Then runs `gateway export events` and `gateway export lines` in fresh processes and
prints rows, seconds and each process's peak RSS. Not a test: run it and read the figures.

    .venv/bin/python bench/export_memory.py                 # 100,000 and 400,000 events
    .venv/bin/python bench/export_memory.py --events 20000 100000 --lines 20000 100000
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, insert

from gateway.store.schema import document_keys, documents, event_cursors, events

REPO = Path(__file__).resolve().parents[1]
GATEWAY = [sys.executable, "-m", "gateway.cli"]
# The command in a fresh process that reports its own peak RSS (KiB on Linux) last on stderr.
MEASURED = [sys.executable, "-c", "import resource, sys; from gateway.cli import main; "
            "code = main(sys.argv[1:]); "
            "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr); "
            "sys.exit(code)"]
BATCH = 5000


def document(n: int) -> dict[str, object]:
    return {"kind": "return-shipment", "shipment_id": f"ASN{n:012d}",
            "lines": [{"line_number": i, "quantity": {"unit": "EA", "value": "2"},
                       "item_ids": [{"scheme": "upc", "value": "614141000364"}],
                       "serials": [f"SN{n:09d}{i:03d}"]} for i in range(1, 6)]}


def upgraded_store(root: Path) -> str:
    """A SQLite store in ``root`` (its config.yaml, `gateway db upgrade`); its URL."""
    (root / "config.yaml").write_text("store: {url: 'sqlite:///g.sqlite'}\n")
    subprocess.run([*GATEWAY, "db", "upgrade"], cwd=root, check=True, capture_output=True)
    return f"sqlite:///{root / 'g.sqlite'}"


def fill(url: str, count: int) -> None:
    engine = create_engine(url)
    at = datetime(2026, 11, 25, tzinfo=UTC)
    with engine.begin() as connection:
        for start in range(1, count + 1, BATCH):
            rows = [{"cursor": n, "event_id": f"evt_{uuid.uuid4().hex}",
                     "type": "document.received", "partner": "northwind", "occurred_at": at,
                     "file_id": n, "document_id": n,
                     "keys": json.dumps([["rma", f"RMA{n}"], ["shipment", f"ASN{n:012d}"]]),
                     "data": json.dumps({"document_id": n, "kind": "return-shipment",
                                         "reference": f"ASN{n:012d}", "direction": "in",
                                         "document": document(n)})}
                    for n in range(start, min(start + BATCH, count + 1))]
            connection.execute(insert(events), rows)
        connection.execute(insert(event_cursors).values(feed="events", last_value=count))
    engine.dispose()


def request(n: int) -> dict[str, object]:
    """A canonical 180 request of five lines, as the store keeps it."""
    return {"kind": "return-authorization", "document_id": f"RR{n:010d}", "stage": "request",
            "rma_number": f"RMA{n:09d}", "original_po": f"PO{n:08d}",
            "lines": [{"line_number": i, "quantity": {"unit": "EA", "value": "2"},
                       "item_ids": [{"scheme": "upc", "value": "614141000364"}],
                       "description": "Stand mixer 5 qt red", "serials": [f"S{n:09d}{i}"],
                       "reasons": {"request_reason": "defective",
                                   "request_reason_code": "DM"}}
                      for i in range(1, 6)]}


def fill_requests(url: str, count: int) -> None:
    engine = create_engine(url)
    at = datetime(2026, 11, 25, tzinfo=UTC)
    with engine.begin() as connection:
        for start in range(1, count + 1, BATCH):
            numbers = range(start, min(start + BATCH, count + 1))
            connection.execute(insert(documents), [
                {"id": n, "file_id": None, "partner": "northwind",
                 "kind": "return-authorization", "direction": "in",
                 "reference": f"RR{n:010d}", "body": json.dumps(request(n)),
                 "created_at": at} for n in numbers])
            connection.execute(insert(document_keys), [
                {"document_id": n, "kind": kind, "value": value} for n in numbers
                for kind, value in (("request-id", f"RR{n:010d}"), ("rma", f"RMA{n:09d}"),
                                    ("purchase-order", f"PO{n:08d}"))])
    engine.dispose()


def measure(root: Path, form: str, what: str = "events") -> tuple[float, float]:
    """Seconds and peak RSS (MiB) of one export, in a fresh process."""
    started = time.perf_counter()
    done = subprocess.run([*MEASURED, "export", what, "--format", form, "--output",
                           str(root / f"out.{form}")], cwd=root, check=True,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    return seconds, int(done.stderr.split()[-1]) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="*", default=[100_000, 400_000])
    parser.add_argument("--lines", type=int, nargs="*", default=[],
                        help="line counts for `export lines` (five per request)")
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}")
    print("| events | format | seconds | peak RSS (MiB) | output (MiB) |")
    print("|---:|---|---:|---:|---:|")
    for count in sorted(args.events):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            fill(upgraded_store(root), count)
            for form in ("jsonl", "csv"):
                seconds, peak = measure(root, form)
                size = (root / f"out.{form}").stat().st_size / (1 << 20)
                print(f"| {count:,} | {form} | {seconds:.1f} | {peak:.0f} | {size:.0f} |",
                      flush=True)
    if args.lines:
        print("\n| lines | format | seconds | peak RSS (MiB) | output (MiB) |")
        print("|---:|---|---:|---:|---:|")
    for count in sorted(args.lines):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            fill_requests(upgraded_store(root), count // 5)
            seconds, peak = measure(root, "csv", "lines")
            size = (root / "out.csv").stat().st_size / (1 << 20)
            print(f"| {count:,} | csv | {seconds:.1f} | {peak:.0f} | {size:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
