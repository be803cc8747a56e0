"""``gateway console``: (being built for issue 7)."""

from __future__ import annotations

import argparse


def add_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Registers the command; filled in by its module's author."""
