"""What every view of the console works with: the store, the configuration, the clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from gateway.app.ports import GatewayStore
from gateway.config.settings import GatewayConfig

EXTENSION = "gateway_console"


@dataclass(frozen=True)
class ConsoleContext:
    store: GatewayStore
    config: GatewayConfig
    clock: Callable[[], datetime]  # aware "now"; tests pin it to the story's time

    def now(self) -> datetime:
        return self.clock()


def console() -> ConsoleContext:
    """The context of the app handling the current request."""
    found = current_app.extensions[EXTENSION]
    assert isinstance(found, ConsoleContext)
    return found


FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the fields around an uploaded notice


def upload_limit(config: GatewayConfig) -> int:
    """The largest notice taken (limits.xml_size, within limits.file_size), as over SFTP."""
    return min(config.limits.file_bytes, config.limits.xml_bytes)
