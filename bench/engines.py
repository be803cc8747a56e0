"""Small documents through both validation engines: CPU per document, side by side. Prints figures.

Each valid sample (a few dozen segments: what most partners send) is assessed repeatedly with the
fast engine and with pyx12, after one warm-up run each (grammars loaded and cached, as in a
running gateway). Reported: segments, CPU milliseconds per document (best of ``--rounds`` rounds
of ``--repeat`` runs, ``time.process_time``), and how many times faster the fast engine is.
Large files: ``bench/run.py`` (modes ``fast`` and ``assess``).

    .venv/bin/python bench/engines.py
    .venv/bin/python bench/engines.py --repeat 200 --rounds 5
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import time
from pathlib import Path

from gateway.x12.assess import assess
from gateway.x12.limits import FrontDoorRules

VALID = Path(__file__).resolve().parents[1] / "samples" / "valid"
SAMPLES = ["180-return-request-004010.x12", "180-authorization-005010.x12",
           "214-status-004010.x12", "214-status-005010.x12", "856-pick-pack-004010.x12",
           "856-ship-notice-005010.x12", "997-inbound-004010.x12"]


def cpu_ms(data: bytes, rules: FrontDoorRules, repeat: int, rounds: int) -> float:
    assess(data, rules)  # warm-up: grammars compiled / parsed once per process
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(repeat):
            assess(data, rules)
        best = min(best, (time.process_time() - started) / repeat)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, Python {platform.python_version()}, "
          f"{platform.machine()}")
    print("| sample | segments | fast ms | pyx12 ms | pyx12 / fast |")
    print("|---|---:|---:|---:|---:|")
    for name in SAMPLES:
        data = (VALID / name).read_bytes()
        segments = data.count(b"~")
        fast = cpu_ms(data, FrontDoorRules(engine="fast"), args.repeat, args.rounds)
        reference = cpu_ms(data, FrontDoorRules(engine="pyx12"), max(1, args.repeat // 10),
                           args.rounds)
        print(f"| {name} | {segments} | {fast:.3f} | {reference:.2f} | {reference / fast:.0f}x |")


if __name__ == "__main__":
    main()
