"""Peak memory and time of the recall-notice intake on hostile but well-formed XML. Prints figures.

Each document is generated just under the XML cap (``--size``, default 10 MiB less 4 KiB, the
`limits.xml_size` default) in a shape that makes one kind of object cheap to write and dear to
hold: many tiny elements, elements with text between them, many attributes, many namespace
declarations, deep nesting, one long text, long lists of identifiers, a CPSC record with
hundreds of thousands of products or UPCs, and a valid notice with half a million lots. Each
shape runs in a fresh Python subprocess so that peak RSS is that run's alone:

* ``read``: ``gateway.recall.read_recall(data, max_bytes=...)``;
* ``ingest``: what ``gateway ingest`` does with an XML file, without the store:
  ``xml_document_kind``, ``read_recall``, the canonical JSON of an accepted notice and the
  recall acknowledgement.

Peak RSS is the child's own ``resource.getrusage(RUSAGE_SELF).ru_maxrss``; "imports" is its
peak just before the run (interpreter, lxml and the gateway loaded, the document generated),
so "peak - imports" is what reading the document cost. A run longer than ``--timeout`` seconds
is stopped and shown as such (quadratic work is a hazard too, not only memory).

    .venv/bin/python bench/xml_memory.py                    # every shape, both modes
    .venv/bin/python bench/xml_memory.py --mode read --shapes tiny-elements elements-and-text
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gateway.model.canonical_json import to_json
from gateway.recall import build_recall_ack, read_recall, xml_document_kind

ROOT = Path(__file__).resolve().parents[1]
MEBIBYTE = 1 << 20
DEFAULT_SIZE = 10 * MEBIBYTE - 4096
VALID = ROOT / "samples" / "recall" / "valid-food-class1-gtin-lots.xml"

_HEAD = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
         b'<RecallNotice xmlns="urn:returns-gateway:recall:1" schemaVersion="1.0">'
         b'<NoticeId scheme="INTERNAL">RN-1</NoticeId><Title>T</Title>'
         b'<Party role="RECALLING_FIRM"><Name>N</Name></Party><Reason>R</Reason>'
         b'<AffectedProduct><Name>P</Name>')
_TAIL = b"</AffectedProduct></RecallNotice>"
_CPSC_HEAD = b"<Recall><RecallNumber>18143</RecallNumber>"
_CPSC_TAIL = b"</Recall>"


def _repeat(unit: bytes, size: int, head: bytes = _HEAD, tail: bytes = _TAIL) -> bytes:
    count = (size - len(head) - len(tail)) // len(unit)
    return head + unit * count + tail


def _cpsc(unit: bytes, group: str, size: int) -> bytes:
    opening, closing = f"<{group}>".encode(), f"</{group}>".encode()
    return _repeat(unit, size, _CPSC_HEAD + opening, closing + _CPSC_TAIL)


def _valid_products(unit: bytes, per_product: int, size: int, most: int = 10_000) -> bytes:
    """The valid sample with its products replaced by as many valid ones as fit (``most``)."""
    sample = VALID.read_bytes()
    start, end = sample.index(b"<AffectedProduct>"), sample.index(b"<Distribution>")
    parts, used, number = [sample[:start]], len(sample) - (end - start), 0
    while number < most:
        items = b"".join(unit % (number * per_product + i) for i in range(per_product))
        product = (b'<AffectedProduct><Name>P</Name><Identifier scheme="GTIN">00614141000012'
                   b"</Identifier>" + items + b"</AffectedProduct>")
        if used + len(product) > size:
            break
        parts.append(product)
        used, number = used + len(product), number + 1
    return b"".join([*parts, sample[end:]])


def _spread(unit: bytes, per_parent: int, parents: int, size: int) -> bytes:
    """Just under the structure ceilings of gateway.recall.parse: ``parents`` products of
    ``per_parent`` units each, every unit padded with text so that the file fills ``size``."""
    room = (size - len(_HEAD) - len(_TAIL)) // (per_parent * parents) - len(unit % b"")
    product = b"<AffectedProduct><Name>P</Name>" + unit % (b"x" * max(room - 1, 1)) * per_parent
    body = (product + b"</AffectedProduct>") * (parents - 1)
    return _HEAD.replace(b"<AffectedProduct><Name>P</Name>", b"") + body + product + _TAIL


def _attributes(count: int, template: bytes) -> bytes:
    return b"".join(template % i for i in range(count))


SHAPES: dict[str, Callable[[int], bytes]] = {
    "tiny-elements": lambda size: _repeat(b"<a/>", size),
    "elements-and-text": lambda size: _repeat(b"<a/>x", size),
    "empty-lots": lambda size: _repeat(b"<Lot></Lot>", size),
    "many-attributes": lambda size: _repeat(
        b"<b" + _attributes(200, b' a%d="x"') + b"/>", size),
    "many-namespaces": lambda size: _repeat(
        b"<b" + _attributes(200, b' xmlns:p%d="urn:x"') + b"/>", size),
    "deep-nesting": lambda size: _repeat(b"<a>" * 250 + b"</a>" * 250, size),
    "long-text": lambda size: _repeat(b"x" * 4096, size),
    "cpsc-products": lambda size: _cpsc(b"<Product><Name>p</Name></Product>", "Products",
                                        size),
    "cpsc-valid-upcs": lambda size: _cpsc(b"<UPC>614141000036</UPC>", "ProductUPCs", size),
    "bad-glns": lambda size: _repeat(b"<GLN>0614141000006</GLN>", size),
    "valid-500k-lots": lambda size: _valid_products(b"<Lot>L%07d</Lot>", 100, size),
    # Just under every ceiling of gateway.recall.parse.Ceilings (100,000 elements and
    # attributes, 15,000 children of one element), every element and attribute wrong: what a
    # document that is parsed and validated in full may cost.
    "under-ceilings": lambda size: _spread(b'<Lot a="x">%s</Lot>', 14_000, 7, size),
    "attribute-heavy": lambda size: _spread(
        b'<Lot a="x" b="x" c="x" d="x" e="x">%s</Lot>', 3_300, 6, size),
    "valid-90k-lots": lambda size: _valid_products(
        b"<Lot>LOT-%07d-" + b"9" * 36 + b"</Lot>", 10_000, size, most=9),
}


# --- the child: one shape, one mode ------------------------------------------------------------
def child(shape: str, mode: str, size: int, max_bytes: int) -> dict[str, Any]:
    data = SHAPES[shape](size)
    before = _peak_mib()
    started = time.perf_counter()
    if mode == "ingest":
        xml_document_kind(data, max_bytes=max_bytes)
    result = read_recall(data, max_bytes=max_bytes)
    if mode == "ingest":
        if result.notice is not None:
            to_json(result.notice)
        build_recall_ack(result, received_at=datetime.now(UTC), ack_id="BENCH")
    return {"bytes": len(data), "imports_mib": before, "peak_mib": _peak_mib(),
            "seconds": time.perf_counter() - started, "accepted": result.accepted,
            "first": result.errors[0].code if result.errors else "-"}


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# --- the parent: one subprocess per run, a table -----------------------------------------------
def run(shape: str, mode: str, size: int, max_bytes: int, timeout: float) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", shape, mode, str(size), str(max_bytes)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              cwd=ROOT, check=False)
    except subprocess.TimeoutExpired:
        return {"timed_out": True}
    if done.returncode != 0:
        return {"failed": done.stderr.strip().splitlines()[-1:] or ["?"]}
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def _line(shape: str, mode: str, figures: dict[str, Any], timeout: float) -> str:
    if figures.get("timed_out"):
        return f"{shape:<18} {mode:<7} {'':>10} {'stopped after ' + str(int(timeout)) + ' s'}"
    if "failed" in figures:
        return f"{shape:<18} {mode:<7} failed: {figures['failed'][0]}"
    grown = figures["peak_mib"] - figures["imports_mib"]
    return (f"{shape:<18} {mode:<7} {figures['bytes']:>10,} {figures['imports_mib']:>8.0f} "
            f"{figures['peak_mib']:>8.0f} {grown:>8.0f} {figures['seconds']:>8.2f}  "
            f"{'accepted' if figures['accepted'] else 'rejected'} ({figures['first']})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", choices=sorted(SHAPES), default=list(SHAPES))
    parser.add_argument("--mode", choices=("read", "ingest", "both"), default="both")
    parser.add_argument("--size", type=int, default=DEFAULT_SIZE, help="bytes per document")
    parser.add_argument("--max-bytes", type=int, default=10 * MEBIBYTE,
                        help="the XML cap passed to the reader (limits.xml_size)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run")
    args = parser.parse_args(argv)
    modes = ("read", "ingest") if args.mode == "both" else (args.mode,)
    print(f"{'shape':<18} {'mode':<7} {'bytes':>10} {'imports':>8} {'peak':>8} "
          f"{'growth':>8} {'seconds':>8}  result   (MiB of peak RSS)")
    for shape in args.shapes:
        for mode in modes:
            figures = run(shape, mode, args.size, args.max_bytes, args.timeout)
            print(_line(shape, mode, figures, args.timeout), flush=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        _, _, name, how, size_text, limit_text = sys.argv
        print(json.dumps(child(name, how, int(size_text), int(limit_text))))
    else:
        sys.exit(main())
