"""The JSON API over a large store: the event feed paged to its end, and a streamed export.

Fills a SQLite store as `bench/export_memory.py` does (N document.received events, each with a
canonical 856), creates an API client, then, in a fresh process that serves the API through
the console's own app (Flask's test client: no sockets, the WSGI app and the store as
`gateway console` runs them), pages GET /api/v1/events?limit=1000 to the end and streams GET
/api/v1/exports/events?format=jsonl, printing seconds, pages and each process's peak RSS.
Not a test: run it and read the figures.

    .venv/bin/python bench/api_feed.py                # 100,000 events
    .venv/bin/python bench/api_feed.py --events 20000 200000
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

# A sibling script: its folder is on sys.path when this one runs.
from export_memory import GATEWAY, fill, upgraded_store

# Runs in the fresh process: argv = root, token, what ("feed" or "export").
SERVE = r"""
import resource, sys, time
from pathlib import Path
from gateway.bootstrap import open_store
from gateway.config.settings import load_config
from gateway.console.app import create_app

root, token, what = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
config = load_config(root / "config.yaml")
app = create_app(open_store(config), config)
client = app.test_client()
headers = {"Authorization": f"Bearer {token}"}
started, count, pages = time.perf_counter(), 0, 0
if what == "feed":
    after = 0
    while True:
        page = client.get(f"/api/v1/events?after={after}&limit=1000", headers=headers).json
        if not page["events"]:
            break
        count, pages, after = count + len(page["events"]), pages + 1, page["next_after"]
else:
    response = client.get("/api/v1/exports/events?format=jsonl", headers=headers,
                          buffered=False)
    for chunk in response.response:
        count += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    pages = 1
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{count} {pages} {seconds:.1f} {peak:.0f}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="*", default=[100_000])
    args = parser.parse_args()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, Python {sys.version.split()[0]}")
    print("| events | request | rows | pages | seconds | peak RSS (MiB) |")
    print("|---:|---|---:|---:|---:|---:|")
    for total in sorted(args.events):
        with tempfile.TemporaryDirectory() as folder:
            root = Path(folder)
            fill(upgraded_store(root), total)
            token = subprocess.run([*GATEWAY, "tokens", "create", "bench", "--scope", "read"],
                                   cwd=root, check=True, capture_output=True,
                                   text=True).stdout.strip()
            for what, shown in (("feed", "GET /events, 1000 a page"),
                                ("export", "GET /exports/events (jsonl)")):
                out = subprocess.run([sys.executable, "-c", SERVE, str(root), token, what],
                                     cwd=root, check=True, capture_output=True, text=True)
                rows, pages, seconds, peak = out.stdout.split()
                print(f"| {total:,} | {shown} | {int(rows):,} | {pages} | {seconds} | "
                      f"{peak} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
