"""`gateway programs report` adds up to what the store holds, program by program (issue 18's
"the programs page and CSV add up to the same totals as the store"), units dispositioned and
value recovered included (per currency), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections import Counter
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, text

from bench.small_files import _numbered
from tests.cli import run_gateway

REPO = Path(__file__).resolve().parents[2]
REQUEST = (REPO / "samples" / "valid" / "180-return-request-004010.x12").read_text()
# (reason of line 1: 2 units, reason of line 2: 1 unit) for each request, and what the stock
# rules (programs/rules.yaml) make of each reason
REQUESTS = [("DM", "DA"), ("EO", "EO"), ("EI", "DT"), ("PR", "NA"), ("DT", "DT"), ("SR", "WG")]
PROGRAM_OF = {"DM": "customer-return", "NA": "customer-return", "WG": "customer-return",
              "DA": "damaged-goods", "DT": "damaged-goods", "EO": "end-of-season",
              "EI": "excess-inventory", "SR": "excess-inventory", "PR": "recall"}


def request(number: int, first: str, second: str) -> str:
    made = _numbered(REQUEST, number, number, shared_order=False)  # own RMA, PO, serials
    return made.replace("RDR*RP*DM*", f"RDR*RP*{first}*").replace("RDR*RP*DA*",
                                                                  f"RDR*RP*{second}*")


def expected_rows() -> dict[tuple[str, str], tuple[int, int, Decimal]]:
    """(partner, program): cases, lines, units, from the table above."""
    cases: Counter[str] = Counter()
    lines: Counter[str] = Counter()
    units: dict[str, Decimal] = {}
    for first, second in REQUESTS:
        programs = [(PROGRAM_OF[first], Decimal(2)), (PROGRAM_OF[second], Decimal(1))]
        weights: dict[str, Decimal] = {}
        for program, quantity in programs:
            lines[program] += 1
            units[program] = units.get(program, Decimal(0)) + quantity
            weights[program] = weights.get(program, Decimal(0)) + quantity
        is_recall = any(program == "recall" for program, _ in programs)
        cases["recall" if is_recall else max(weights, key=lambda p: weights[p])] += 1
    return {("northwind", p): (cases[p], lines[p], units[p]) for p in units}


def test_the_report_adds_up_to_the_store(tmp_path: Path, database_url: str) -> None:
    (tmp_path / "config.yaml").write_text(
        f"store: {{url: '{database_url}'}}\n"
        f"paths: {{mappings: '{REPO / 'mappings'}', programs: '{REPO / 'programs'}'}}\n")
    (tmp_path / "partners").mkdir()
    shutil.copy(REPO / "partners" / "northwind.yaml", tmp_path / "partners")
    files = []
    for number, (first, second) in enumerate(REQUESTS):
        path = tmp_path / f"r{number}.x12"
        path.write_text(request(number, first, second))
        files.append(str(path))
    assert run_gateway("db", "upgrade", cwd=tmp_path).returncode == 0
    started = datetime.now().astimezone()
    ingested = run_gateway("ingest", "--partner", "northwind", *files, cwd=tmp_path)
    assert ingested.returncode == 0, ingested.stdout + ingested.stderr

    done = run_gateway("programs", "report", "--format", "csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    # The week each case opened: when its first document arrived (just now), not the date
    # the partner wrote in it (which may be missing, or wrong)
    weeks = {f"{year}-W{week:02d}" for year, week, _ in (
        started.isocalendar(), datetime.now().astimezone().isocalendar())}
    assert {row["week"] for row in rows} <= weeks and len({row["week"] for row in rows}) == 1
    got = {(row["partner"], row["program"]): (int(row["cases"]), int(row["lines"]),
                                              Decimal(row["units"])) for row in rows}
    assert got == expected_rows()

    # The same totals as the store itself holds: every request line and unit, every case
    stored = stored_lines(database_url)
    assert sum(lines for _c, lines, _u in got.values()) == len(stored) == 2 * len(REQUESTS)
    assert sum(units for _c, _l, units in got.values()) == sum(stored)
    assert sum(cases for cases, _l, _u in got.values()) == len(REQUESTS)
    as_json = json.loads(run_gateway("programs", "report", "--format", "json",
                                     cwd=tmp_path).stdout)
    assert [(r["program"], r["cases"], r["lines"], r["units"]) for r in as_json] == [
        (row["program"], int(row["cases"]), int(row["lines"]), row["units"]) for row in rows]
    assert {row["units_dispositioned"] for row in rows} == {"0"}  # nothing received yet
    recovered_value_adds_up(tmp_path, database_url)


# (request, line, outcome, units, value, currency) recorded after receipt; request 0's lines
# are customer-return (DM) and damaged-goods (DA), request 3's line 1 is recall (PR).
DISPOSED = [(0, 1, "restock", "2", "50.00", "USD"), (0, 2, "liquidate", "1", "5.00", "EUR"),
            (3, 1, "return-to-vendor", "2", "30.00", "USD")]


def recovered_value_adds_up(tmp_path: Path, database_url: str) -> None:
    """After receipt and DISPOSED: the units by outcome and the value recovered per currency,
    in CSV, JSON and text, add up to the store's dispositions."""
    for request_number in sorted({number for number, *_ in DISPOSED}):
        received = run_gateway("rma", "receive", f"RR2026{request_number:07d}", cwd=tmp_path)
        assert received.returncode == 0, received.stderr
    for number, line, outcome, units, value, currency in DISPOSED:
        done = run_gateway("rma", "dispose", f"RR2026{number:07d}", "--line", str(line),
                           "--outcome", outcome, "--quantity", units, "--value", value,
                           "--currency", currency, cwd=tmp_path)
        assert done.returncode == 0, done.stderr

    report = run_gateway("programs", "report", "--format", "csv", cwd=tmp_path).stdout
    rows = list(csv.DictReader(io.StringIO(report)))
    got = {row["program"]: (row["units_dispositioned"], row["recovered_USD"],
                            row["recovered_EUR"]) for row in rows}
    assert got == {"customer-return": ("2", "50.00", ""), "damaged-goods": ("1", "", "5.00"),
                   "end-of-season": ("0", "", ""), "excess-inventory": ("0", "", ""),
                   "recall": ("2", "30.00", "")}
    assert [(r["program"], r["units_restock"], r["units_liquidate"],
             r["units_return_to_vendor"]) for r in rows if r["units_dispositioned"] != "0"] == [
        ("customer-return", "2", "0", "0"), ("damaged-goods", "0", "1", "0"),
        ("recall", "0", "0", "2")]

    # The same value, currency by currency, as the store's dispositions hold; never summed
    # across currencies.
    stored = stored_recovered(database_url)
    for currency, amount in stored.items():
        assert sum(Decimal(row[f"recovered_{currency}"] or 0) for row in rows) == amount
    assert stored == {"USD": Decimal("80.00"), "EUR": Decimal("5.00")}
    as_json = json.loads(run_gateway("programs", "report", "--format", "json",
                                     cwd=tmp_path).stdout)
    assert [r["recovered"] for r in as_json] == [
        {c: row[f"recovered_{c}"] for c in ("EUR", "USD") if row[f"recovered_{c}"]}
        for row in rows]
    text = run_gateway("programs", "report", cwd=tmp_path).stdout
    assert "5.00 EUR" in text and "return-to-vendor 2" in text


def stored_lines(database_url: str) -> list[Decimal]:
    """Each stored return request line's quantity, read from the documents' JSON."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            bodies = connection.execute(text(
                "SELECT body FROM documents WHERE kind = 'return-authorization' "
                "AND direction = 'in'")).scalars().all()
    finally:
        engine.dispose()
    return [Decimal(str(line["quantity"]["value"])) for body in bodies
            for line in json.loads(body)["lines"]]


def stored_recovered(database_url: str) -> dict[str, Decimal]:
    """The value of every stored disposition, by currency, read from the documents' JSON."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            bodies = connection.execute(text(
                "SELECT body FROM documents WHERE kind = 'line-disposition'")).scalars().all()
    finally:
        engine.dispose()
    totals: dict[str, Decimal] = {}
    for body in map(json.loads, bodies):
        value = body["value"]
        totals[value["currency"]] = totals.get(value["currency"], Decimal(0)) + Decimal(
            value["amount"])
    return totals
