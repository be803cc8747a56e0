"""The gateway's exception tree.

Problems in a partner's *data* are never exceptions: they are findings (`gateway.x12.findings`),
which become 997/TA1 codes and plain-language reports. Exceptions are for problems of the
gateway's own set-up, where the caller must stop and an operator must act::

    GatewayError                 base; `retryable` says whether trying again can help
    ├── ConfigError              a config or partner file is wrong (names the file and key)
    ├── GrammarError             a shipped X12 grammar (pyx12 map folder) is missing or broken
    └── TransportError           talking to a partner's folder failed
        ├── TransientTransportError   a dropped connection, a timeout: retrying can help
        │   └── RemoteFileGone        a listed file was gone when we came to take it
        └── PermanentTransportError   authentication, an unknown host key, a missing folder:
                                      retrying cannot help until a person acts

ConfigError and GrammarError are not retryable: the same input gives the same failure until a
person fixes it.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every exception the gateway raises on purpose."""

    retryable: bool = False


class ConfigError(GatewayError):
    """A configuration file is wrong; the message names the file, the key and what is wrong."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source = source
        self.key = key
        self.problem = problem


class ArchivedBytesMissing(GatewayError):
    """A file's record is kept but its bytes are not (retention): nothing to replay."""


class GrammarError(GatewayError):
    """A grammar folder we ship cannot be used: an installation fault, not a partner's fault."""


class TransportError(GatewayError):
    """Talking to a partner's folder failed; the message says which partner and what step."""


class TransientTransportError(TransportError):
    retryable = True


class PermanentTransportError(TransportError):
    retryable = False


class RemoteFileGone(TransientTransportError):
    """A file listed in the partner's folder was gone when we came to take it: another node
    (or the partner) took it meanwhile. Not a fault of the connection: the poll goes on."""
