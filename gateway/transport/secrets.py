"""Reading a secret a configuration file points at: ``{env: NAME}`` or ``{file: path}``.

The SFTP channel (private keys, passphrases) and the webhook sender (signing secrets) read
them here, when they need them, and never keep or log them.
"""

from __future__ import annotations

import os

from gateway.app.partners import SecretRef


class SecretUnavailable(Exception):
    """A secret that cannot be read; the message never quotes the secret."""

    def __init__(self, what: str, problem: str) -> None:
        super().__init__(f"{what}: {problem}")
        self.what, self.problem = what, problem


def read_secret(ref: SecretRef | None, what: str) -> str:
    """The secret ``ref`` names, as it is (``what``: its key, for the message)."""
    if ref is not None and ref.env:
        value = os.environ.get(ref.env)
        if not value:
            raise SecretUnavailable(what, f"the environment variable {ref.env} is not set")
        return value
    if ref is not None and ref.file:
        try:
            return ref.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SecretUnavailable(
                what, f"cannot read {ref.file} ({type(exc).__name__})") from exc
    raise SecretUnavailable(what, "write {env: VARIABLE} or {file: path}")
