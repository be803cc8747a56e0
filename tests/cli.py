"""The `gateway` command as a user runs it, for tests that drive the real process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def run_gateway(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`gateway ARGS` in ``cwd`` (where its config.yaml, partners/ and var/ are)."""
    return subprocess.run([sys.executable, "-m", "gateway.cli", *args], cwd=cwd,
                          capture_output=True, text=True, check=False, timeout=timeout)
