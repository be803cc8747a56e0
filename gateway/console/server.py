"""Serving the console with waitress: in the foreground for `gateway console`, or in a
thread for the tests and the screenshot tool."""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass
from typing import Any

from flask import Flask
from waitress import serve
from waitress.server import create_server

from gateway.console import DEFAULT_PORT as DEFAULT_PORT  # noqa: PLC0414 (re-exported)

THREADS = 4
# Waitress clears X-Forwarded-* unless one proxy address is configured in it; the console's
# own middleware (proxy.py) keeps them only from the proxies --trusted-proxy names and removes
# everyone else's, so waitress is told to pass them on.
OPTIONS: dict[str, object] = {"threads": THREADS, "ident": "gateway-console",
                              "clear_untrusted_proxy_headers": False}


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve_forever(app: Flask, host: str, port: int) -> None:
    serve(app, host=host, port=port, **OPTIONS)


@dataclass
class RunningConsole:
    """A console served in a background thread; ``stop()`` closes it."""

    server: Any
    thread: threading.Thread

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def port(self) -> int:
        return int(self.server.effective_port)

    def stop(self) -> None:
        # The serving thread closes everything itself (a trigger thunk runs in its loop):
        # closing sockets from here while it sat in select() failed it on a closed descriptor.
        if self.thread.is_alive():
            self.server.trigger.pull_trigger(self._close_every_channel)
            self.thread.join(timeout=5)
        self.server.task_dispatcher.shutdown(timeout=5)

    def _close_every_channel(self) -> None:
        """The listening socket, its trigger and open connections: the loop then ends."""
        for channel in list(self.server._map.values()):
            channel.close()


def serve_in_thread(app: Flask, port: int = 0) -> RunningConsole:
    """Port 0: a free port the system picks (see ``.port``); loopback only."""
    server = create_server(app, host="127.0.0.1", port=port, **OPTIONS)
    thread = threading.Thread(target=server.run, name="gateway-console", daemon=True)
    thread.start()
    return RunningConsole(server, thread)
