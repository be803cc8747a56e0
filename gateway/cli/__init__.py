"""The `gateway` command: one module per command group; `main` is the entry point."""

from gateway.cli.command import main

__all__ = ["main"]
