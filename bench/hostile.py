"""How long hostile files take to get their verdict. Prints figures; it is not a timed test.

Issue 11 asks that a file of 10,000 functional groups or 100,000 nested HL levels gets its
verdict in seconds, or a limit's clear rejection, never a stall. Each case runs
``gateway.x12.assess.assess`` in a fresh subprocess (so peak RSS is the case's own) and prints
its size, seconds, peak RSS, verdict and first error:

    .venv/bin/python bench/hostile.py
    .venv/bin/python bench/hostile.py --only hl
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from gateway.x12.assess import assess
from gateway.x12.limits import FrontDoorRules, Limits

ISA = ("ISA*00*          *00*          *ZZ*PARTNER        *ZZ*RLGATEWAY      "
       "*260101*1200*U*00401*000000001*0*P*>~")
SET_214 = "ST*214*0001~B10*PRO1*SHIP1*SCAC~LX*1~AT7*X6*NS***20260101*1200*LT~SE*5*0001~"


def empty_groups(count: int) -> str:
    groups = "".join(f"GS*QM*PARTNER*RLGATEWAY*20260101*1200*{n}*X*004010~GE*0*{n}~"
                     for n in range(1, count + 1))
    return f"{ISA}{groups}IEA*{count}*000000001~"


def groups_with_a_set(count: int) -> str:
    groups = "".join(f"GS*QM*PARTNER*RLGATEWAY*20260101*1200*{n}*X*004010~{SET_214}GE*1*{n}~"
                     for n in range(1, count + 1))
    return f"{ISA}{groups}IEA*{count}*000000001~"


def hl_levels(count: int, *, nested: bool) -> str:
    levels = "".join(f"HL*{n}*{'' if n == 1 else (n - 1 if nested else 1)}*S~"
                     for n in range(1, count + 1))
    return (f"{ISA}GS*SH*PARTNER*RLGATEWAY*20260101*1200*1*X*004010~ST*856*0001~"
            f"BSN*00*A1*20260101*1200~{levels}SE*{count + 3}*0001~GE*1*1~IEA*1*000000001~")


def one_huge_segment(size: int) -> str:
    return (f"{ISA}GS*QM*PARTNER*RLGATEWAY*20260101*1200*1*X*004010~ST*214*0001~"
            f"B10*PRO1*SHIP1*SCAC~L11*{'A' * size}*BM~LX*1~AT7*X6*NS***20260101*1200*LT~"
            "SE*6*0001~GE*1*1~IEA*1*000000001~")


CASES: dict[str, tuple[Callable[[], str], dict[str, int]]] = {
    "groups: 10,000 empty (limit raised to 20,000)": (lambda: empty_groups(10_000),
                                                      {"groups": 20_000}),
    "groups: 10,000 empty (default limit 5,000)": (lambda: empty_groups(10_000), {}),
    "groups: 5,000 with one 214 each": (lambda: groups_with_a_set(5_000), {}),
    "hl: 100,000 nested levels (default limit 32)": (
        lambda: hl_levels(100_000, nested=True), {}),
    "hl: 100,000 levels under one parent": (lambda: hl_levels(100_000, nested=False), {}),
    "segment: one 40 KB element": (lambda: one_huge_segment(40_000), {}),
}


def child(name: str) -> None:
    make, limits = CASES[name]
    data = make().encode("latin-1")
    started = time.perf_counter()
    assessment = assess(data, FrontDoorRules(Limits(**limits)))  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    first = next((x for x in assessment.all_findings() if x.is_error), None)
    print(json.dumps({"bytes": len(data), "seconds": seconds,
                      "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "accepted": assessment.accepted,
                      "first_error": f"{first.code}: {first.message}" if first else ""}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    print(f"{'case':<48} {'size':>8} {'seconds':>8} {'peak RSS':>9}  verdict")
    for name in CASES:
        if args.only not in name:
            continue
        run = subprocess.run([sys.executable, __file__, "--child", name], capture_output=True,
                             text=True, check=True, cwd=Path(__file__).resolve().parents[1])
        result = json.loads(run.stdout)
        verdict = "accepted" if result["accepted"] else f"rejected ({result['first_error']})"
        print(f"{name:<48} {result['bytes'] / 1e6:>6.2f}MB {result['seconds']:>8.2f} "
              f"{result['rss_mb']:>7.0f}MB  {verdict[:110]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
