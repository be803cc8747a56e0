"""`gateway --version` answers without loading the commands (issue 16: start-up under 0.3 s).

Loading every command group imports some 150 modules of the gateway (a third of a second on a
2-core machine); the version needs none of them. Measured by what is imported, not by a timer.
"""

from __future__ import annotations

import subprocess
import sys

from gateway import __version__

PROBE = ("import sys; from gateway.cli import main; code = main(['--version']); "
         "print(sorted(m for m in sys.modules if m.startswith('gateway')), code)")


def test_the_version_is_answered_before_any_command_is_loaded() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          check=True)
    version, loaded = done.stdout.splitlines()
    assert version == f"gateway {__version__}"
    assert loaded == "['gateway', 'gateway.cli'] 0"


def test_the_full_parser_answers_the_same_version() -> None:
    """With other options before it, argparse answers: the same line."""
    done = subprocess.run([sys.executable, "-m", "gateway.cli", "--config", "absent.yaml",
                           "--version"], capture_output=True, text=True, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, f"gateway {__version__}")
