"""Requests that came through a proxy the console was told to trust (``--trusted-proxy``).

Behind a TLS proxy the console sees plain HTTP from the proxy's address. Only a request whose
peer is a trusted proxy has its ``X-Forwarded-For`` and ``X-Forwarded-Proto`` read (werkzeug's
ProxyFix, one hop: the values that proxy appended): the client's address is then the one the
wrong-token limit counts, and https makes the session cookie Secure. Anyone else's forwarded
headers are removed before the app sees them, and by default no proxy is trusted at all, so
nobody can claim https or another address by sending a header. (Waitress would clear them all,
trusted or not, since it knows no list of proxies: ``server.py`` leaves the choice to this.)
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import TYPE_CHECKING

from werkzeug.middleware.proxy_fix import ProxyFix

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
FORWARDED_HEADERS = ("HTTP_FORWARDED", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_PROTO",
                     "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PORT",
                     "HTTP_X_FORWARDED_PREFIX", "HTTP_X_FORWARDED_BY")


def trusted_network(text: str) -> Network:
    """A proxy address (``127.0.0.1``, ``::1``) or network (``10.0.0.0/24``); ValueError
    naming the text otherwise."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        shown = text if len(text) <= 60 else text[:60] + "..."
        raise ValueError(f"{shown!r} is not an IP address or network (such as 127.0.0.1 or "
                         "10.0.0.0/24)") from None


class TrustedProxies:
    """WSGI middleware: forwarded headers are read only from ``proxies``."""

    def __init__(self, app: WSGIApplication, proxies: Iterable[str]) -> None:
        self.direct = app
        self.forwarded = ProxyFix(app, x_for=1, x_proto=1)
        self.proxies = tuple(trusted_network(proxy) for proxy in proxies)

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if self.is_trusted(environ.get("REMOTE_ADDR", "")):
            return self.forwarded(environ, start_response)
        for name in FORWARDED_HEADERS:  # said by the client itself: worth nothing
            environ.pop(name, None)
        return self.direct(environ, start_response)

    def is_trusted(self, peer: str) -> bool:
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in self.proxies)
