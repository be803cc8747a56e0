"""Deterministic generator of large, realistic X12 004010 856 and 214 files for benchmarks.

Each file is one interchange holding one functional group holding ONE transaction set: a single
big ASN is the hard case for a streaming validator, because the whole file is one unit of work.

* 856 Ship Notice/Manifest, pick and pack (BSN05 = 0001, S-O-P-I): BSN, DTM; HL S with TD1, TD5,
  REF*BM / REF*CN, DTM, N1*SF / N1*ST loops; per order HL O with PRF, REF, N1*BY; per pack HL P
  with MAN*GM (SSCC-18 with AI 00 and a correct GS1 check digit); per item HL I with
  LIN*UP (UPC-A with a correct check digit) / VN / BP / CH, SN1, PID*F and, for serialized goods,
  REF*SE serial numbers; CTT (HL count, SN102 hash total).
* 214 Carrier Shipment Status: B10, L11, N1 loops (SH, CN, BT); then many LX loops, each with 1-3
  AT7 (valid 004010 element 1650 codes) + MS1 city/state, an L11 and an AT8.

Counts (SE01, CTT01, GE01, IEA01) and control numbers (ISA13 = IEA02, GS06 = GE02,
ST02 = SE02) are right, so ``gateway validate`` accepts the files. The same seed gives the same
bytes; dates are derived from the seed, never from the clock.

    python bench/generate.py 856 --mb 20 -o /tmp/asn-20mb.x12
    python bench/generate.py 214 --mb 1 --seed 7 -o /tmp/status-1mb.x12

``--mb`` is in MiB (1,048,576 bytes); a file ends on the first whole order (856) or LX loop (214)
that reaches the target, so it is slightly larger than asked.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

MIB = 1024 * 1024
HL_LOOP_LIMIT = 200_000  # 004010 856: the HL loop repeats at most 200000 times
LX_LOOP_LIMIT = 999_999  # 004010 214: LX loop maximum use

ELEMENT, COMPONENT, TERMINATOR = "*", ">", "~"

SCACS = ("ODFL", "RDWY", "CNWY", "ABFS", "FXFE", "UPGF", "SAIA", "EXLA", "YFSY", "RLCA")
CITIES = (
    ("ATLANTA", "GA", "30301"), ("CHICAGO", "IL", "60607"), ("DALLAS", "TX", "75201"),
    ("MEMPHIS", "TN", "38118"), ("COLUMBUS", "OH", "43215"), ("RENO", "NV", "89502"),
    ("ONTARIO", "CA", "91761"), ("ALLENTOWN", "PA", "18101"), ("LOUISVILLE", "KY", "40202"),
    ("INDIANAPOLIS", "IN", "46204"), ("KANSAS CITY", "MO", "64105"), ("DENVER", "CO", "80202"),
)
STREETS = ("INDUSTRIAL PKWY", "COMMERCE DR", "DISTRIBUTION WAY", "LOGISTICS BLVD", "MAIN ST",
           "RIVER RD", "AIRPORT RD", "WAREHOUSE LN")
PRODUCTS = ("WIRELESS EARBUDS BLACK", "STAINLESS WATER BOTTLE 24OZ", "LED DESK LAMP WHITE",
            "COTTON BATH TOWEL NAVY", "NONSTICK FRY PAN 10IN", "KIDS RAIN JACKET RED M",
            "USB-C CHARGING CABLE 6FT", "CERAMIC MUG SET OF 4", "YOGA MAT 6MM PURPLE",
            "BLUETOOTH SPEAKER MINI", "MENS RUNNING SHOE 10", "THROW PILLOW 18X18 GREY",
            "COFFEE GRINDER BURR", "PHONE CASE CLEAR", "BACKPACK 30L CHARCOAL")
ORIGINS = ("CN", "US", "VN", "MX", "IN", "TW")
SERIALIZED_SHARE = 0.3
# Shipment status codes (X12 element 1650): all in the complete 004010 list the maps enforce.
PROGRESSION = ("X3", "AF", "X6", "X1", "D1")  # arrived pick-up .. delivered
EXCEPTIONS = ("AG", "P1", "X4", "SD", "AH", "A9", "J1", "R1", "AV", "AJ")


def upc_a(rng: random.Random) -> str:
    """A 12-digit UPC-A with a valid check digit."""
    body = f"0{rng.randrange(10**10):010d}"
    return body + gs1_check_digit(body)


def sscc18(extension: int, company_prefix: str, serial: int) -> str:
    """An SSCC-18 (extension digit, GS1 company prefix, serial reference, check digit)."""
    serial_len = 16 - len(company_prefix)
    body = f"{extension}{company_prefix}{serial % 10**serial_len:0{serial_len}d}"
    return body + gs1_check_digit(body)


def gs1_check_digit(body: str) -> str:
    """GS1 mod-10: weights 3, 1, 3, ... from the rightmost digit of the body."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Envelope:
    """Interchange and group identity, derived from the seed."""

    set_id: str
    functional_id: str
    seed: int
    day: date

    @property
    def isa13(self) -> str:
        return f"{(self.seed * 7919 + int(self.set_id) * 1201) % 10**9:09d}"

    @property
    def gs06(self) -> str:
        return str((self.seed * 31 + 17) % 10**6 + 1)

    def header(self) -> list[list[str]]:
        yymmdd, ccyymmdd = self.day.strftime("%y%m%d"), self.day.strftime("%Y%m%d")
        return [
            ["ISA", "00", " " * 10, "00", " " * 10, "ZZ", "RETAILVENDOR01".ljust(15), "ZZ",
             "RETURNSGATEWAY".ljust(15), yymmdd, "0815", "U", "00401", self.isa13, "0", "P",
             COMPONENT],
            ["GS", self.functional_id, "RETAILVENDOR01", "RETURNSGATEWAY", ccyymmdd, "0815",
             self.gs06, "X", "004010"],
        ]

    def trailer(self, sets: int) -> list[list[str]]:
        return [["GE", str(sets), self.gs06], ["IEA", "1", self.isa13]]


def render(segment: list[str]) -> str:
    return ELEMENT.join(segment) + TERMINATOR


# --- 856 ------------------------------------------------------------------------------------
class AsnBuilder:
    """Builds an S-O-P-I 856 body order by order, keeping HL numbering and totals."""

    def __init__(self, rng: random.Random, day: date) -> None:
        self.rng = rng
        self.day = day
        self.hl = 1  # HL 1 is the shipment
        self.packs = 0
        self.quantity = 0  # hash total of SN102
        self.weight = 0
        self.company_prefix = f"{rng.randrange(10**6, 10**7)}"  # 7-digit GS1 company prefix
        self.vendor = f"V{rng.randrange(10**5):05d}"

    def _next_hl(self) -> str:
        self.hl += 1
        return str(self.hl)

    def order(self, number: int) -> list[list[str]]:
        rng = self.rng
        order_hl = self._next_hl()
        po_day = (self.day - timedelta(days=rng.randrange(3, 30))).strftime("%Y%m%d")
        store = f"{rng.randrange(1, 5000):04d}"
        out = [
            ["HL", order_hl, "1", "O", "1"],
            ["PRF", f"PO{4500000000 + number}", "", "", po_day],
            ["REF", "IA", self.vendor],
            ["REF", "DP", f"{rng.randrange(1, 99):03d}"],
            ["N1", "BY", f"STORE {store}", "92", store],
        ]
        for _ in range(rng.randint(1, 8)):
            out += self._pack(order_hl)
        return out

    def _pack(self, order_hl: str) -> list[list[str]]:
        rng = self.rng
        pack_hl = self._next_hl()
        self.packs += 1
        sscc = sscc18(rng.randrange(10), self.company_prefix, self.packs)
        out = [["HL", pack_hl, order_hl, "P", "1"], ["MAN", "GM", "00" + sscc]]
        for _ in range(rng.randint(1, 6)):
            out += self._item(pack_hl)
        self.weight += rng.randint(2, 40)
        return out

    def _item(self, pack_hl: str) -> list[list[str]]:
        rng = self.rng
        item_hl = self._next_hl()
        shipped = rng.choice((1, 1, 2, 3, 4, 6, 12, 24))
        ordered = shipped if rng.random() < 0.9 else shipped + rng.randint(1, 6)
        self.quantity += shipped
        style = rng.randrange(10**6)
        out = [
            ["HL", item_hl, pack_hl, "I", "0"],
            ["LIN", "", "UP", upc_a(rng), "VN", f"{self.vendor}-{style:06d}", "BP",
             f"{rng.randrange(10**8):08d}", "CH", rng.choice(ORIGINS)],
            ["SN1", "", str(shipped), "EA", "", str(ordered), "EA", "", "AC"],
            ["PID", "F", "", "", "", rng.choice(PRODUCTS)],
        ]
        if rng.random() < SERIALIZED_SHARE:  # serialized goods: one REF*SE per unit
            out += [["REF", "SE", f"SN{rng.randrange(16**10):010X}"]
                    for _ in range(min(shipped, 4))]
        return out


def asn_856(rng: random.Random, day: date, target: int) -> Iterator[list[str]]:
    """Yield the ST..SE body of one 856 (without ST and SE) of about ``target`` bytes."""
    builder = AsnBuilder(rng, day)
    orders: list[list[list[str]]] = []
    size = 0
    while size < target:
        order = builder.order(len(orders) + 1)
        orders.append(order)
        size += sum(len(render(s)) + 1 for s in order)
    if builder.hl > HL_LOOP_LIMIT:
        raise SystemExit(f"{builder.hl} HL loops exceed the 004010 limit of {HL_LOOP_LIMIT}; "
                         "ask for a smaller file")
    ship_day, due_day = day.strftime("%Y%m%d"), (day + timedelta(days=3)).strftime("%Y%m%d")
    origin, dest = rng.sample(CITIES, 2)
    yield ["BSN", "00", f"ASN{rng.randrange(10**9):09d}", ship_day, "0815", "0001"]
    yield ["DTM", "011", ship_day, "0815"]
    yield ["HL", "1", "", "S", "1"]
    yield ["TD1", "CTN25", str(builder.packs), "", "", "", "G", str(builder.weight), "LB"]
    yield ["TD5", "B", "2", rng.choice(SCACS), "M", "LTL STANDARD"]
    yield ["REF", "BM", f"BOL{rng.randrange(10**9):09d}"]
    yield ["REF", "CN", f"{rng.randrange(10**10):010d}"]
    yield ["DTM", "017", due_day]
    for code, (city, state, postal) in (("SF", origin), ("ST", dest)):
        yield ["N1", code, f"{city} {'DC' if code == 'SF' else 'RETURNS CENTER'}", "UL",
               f"{rng.randrange(10**12, 10**13)}"]
        yield ["N3", f"{rng.randrange(100, 9999)} {rng.choice(STREETS)}"]
        yield ["N4", city, state, postal, "US"]
    for order in orders:
        yield from order
    yield ["CTT", str(builder.hl), str(builder.quantity)]


# --- 214 ------------------------------------------------------------------------------------
def status_214(rng: random.Random, day: date, target: int) -> Iterator[list[str]]:
    """Yield the ST..SE body of one 214 (without ST and SE) of about ``target`` bytes."""
    scac = rng.choice(SCACS)
    yield ["B10", f"{rng.randrange(10**10):010d}", f"SHP{rng.randrange(10**8):08d}", scac]
    yield ["L11", f"BOL{rng.randrange(10**9):09d}", "BM"]
    yield ["L11", f"RMA{rng.randrange(10**7):07d}", "CR"]
    origin, dest = rng.sample(CITIES, 2)
    for code, (city, state, postal), name in (("SH", origin, "RETAIL STORE"),
                                               ("CN", dest, "RETURNS CENTER"),
                                               ("BT", dest, "RETURNS GATEWAY LLC")):
        yield ["N1", code, f"{city} {name}", "93", f"{rng.randrange(10**6):06d}"]
        yield ["N3", f"{rng.randrange(100, 9999)} {rng.choice(STREETS)}"]
        yield ["N4", city, state, postal, "US"]
    size, number = 0, 0
    moment = 8 * 60
    when = day
    while size < target:
        number += 1
        if number > LX_LOOP_LIMIT:
            raise SystemExit(f"more than {LX_LOOP_LIMIT} LX loops; ask for a smaller file")
        loop = _lx_loop(rng, number, when, moment)
        size += sum(len(render(s)) + 1 for s in loop)
        yield from loop
        moment += rng.randint(1, 20)
        if moment >= 24 * 60:
            moment -= 24 * 60
            when += timedelta(days=1)


def _lx_loop(rng: random.Random, number: int, when: date, moment: int) -> list[list[str]]:
    loop = [["LX", str(number)]]
    first = rng.randrange(len(PROGRESSION))
    codes = list(PROGRESSION[first:first + rng.randint(1, 3)])
    if rng.random() < 0.1:
        codes[-1] = rng.choice(EXCEPTIONS)
    for index, code in enumerate(codes):
        minutes = min(moment + 7 * index, 24 * 60 - 1)
        reason = "NS" if code in PROGRESSION else rng.choice(("AG", "BT", "AM", "NS"))  # 1651 codes
        city, state, _postal = rng.choice(CITIES)
        loop.append(["AT7", code, reason, "", "", when.strftime("%Y%m%d"),
                     f"{minutes // 60:02d}{minutes % 60:02d}", "LT"])
        loop.append(["MS1", city, state, "US"])
    loop.append(["L11", f"{rng.randrange(10**7):07d}", "QN"])
    loop.append(["AT8", "G", "L", str(rng.randint(5, 2400)), str(rng.randint(1, 40))])
    return loop


# --- the file ---------------------------------------------------------------------------------
BODIES = {"856": ("SH", asn_856), "214": ("QM", status_214)}


# One 004010 856 holds at most 200,000 HL loops (about 24 MiB of this generator's ASN): a bigger
# file is several sets of at most this size in one group, as a retailer splits a big ASN.
SET_BYTES_MAX = 20 * MIB


def generate(set_id: str, target_bytes: int, seed: int = 1,
             newlines: bool = True) -> Iterator[str]:
    """Yield the file as text pieces (one per segment)."""
    functional_id, body = BODIES[set_id]
    rng = random.Random(f"{set_id}-{seed}")
    day = date(2025, 1, 6) + timedelta(days=rng.randrange(300))
    envelope = Envelope(set_id, functional_id, seed, day)
    end = TERMINATOR + ("\n" if newlines else "")
    sets = max(1, -(-target_bytes // SET_BYTES_MAX))
    for segment in envelope.header():
        yield ELEMENT.join(segment) + end
    for number in range(1, sets + 1):
        control = f"{number:04d}"
        yield ELEMENT.join(["ST", set_id, control]) + end
        count = 1  # ST
        for segment in body(rng, day, max(target_bytes // sets - 300, 0)):
            count += 1
            yield ELEMENT.join(segment) + end
        yield ELEMENT.join(["SE", str(count + 1), control]) + end
    for segment in envelope.trailer(sets):
        yield ELEMENT.join(segment) + end


def write_file(set_id: str, target_bytes: int, path: Path, seed: int = 1,
               newlines: bool = True) -> int:
    """Write one file; return its size in bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    with path.open("w", encoding="ascii", newline="") as out:
        pending: list[str] = []
        for piece in generate(set_id, target_bytes, seed, newlines):
            pending.append(piece)
            size += len(piece)
            if len(pending) >= 4096:
                out.write("".join(pending))
                pending.clear()
        out.write("".join(pending))
    return size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("set_id", choices=sorted(BODIES), help="transaction set to generate")
    parser.add_argument("--mb", type=float, default=1.0, help="target size in MiB (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--no-newlines", action="store_true",
                        help="no line break after each segment terminator")
    parser.add_argument("-o", "--output", type=Path, required=True, help="file to write")
    args = parser.parse_args(argv)
    size = write_file(args.set_id, int(args.mb * MIB), args.output, args.seed,
                      not args.no_newlines)
    print(f"{args.output}: {args.set_id}, {size:,} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
