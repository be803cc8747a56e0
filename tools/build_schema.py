"""Write the published JSON Schema of the canonical model: schemas/canonical-<version>.json.

    python tools/build_schema.py          # (re)write it
    python tools/build_schema.py --check  # exit 1 when it differs from what the model says
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from gateway.model import SCHEMA_VERSION
from gateway.model.canonical_json import json_schema

TARGET = Path(__file__).resolve().parents[1] / "schemas" / f"canonical-{SCHEMA_VERSION}.json"


def main(argv: list[str]) -> int:
    text = json.dumps(json_schema(), indent=2) + "\n"
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.is_file() else ""
        if current != text:
            print(f"{TARGET} is stale: run python tools/build_schema.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
