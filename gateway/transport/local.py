"""A partner's folders on this machine: the same contract as SFTP, for shared drives and tests.

Files are published through a temporary name and an atomic rename, as on SFTP, so a partner
picking files up never sees half a file.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

from gateway.errors import PermanentTransportError, TransientTransportError
from gateway.partners import Partner
from gateway.ports import FileTooLarge, RemoteFile


class LocalChannel:
    def __init__(self, partner: Partner, base: Path | None = None) -> None:
        transport = partner.transport
        if transport is None or transport.type != "local":
            raise PermanentTransportError(f"partner {partner.id}: not a local transport")
        root = base or Path.cwd()
        self.partner_id = partner.id
        self.inbound = root / transport.inbound
        self.outbound = root / transport.outbound
        self.after = transport.after_pickup
        self.patterns = transport.patterns
        self.root = root

    def __enter__(self) -> LocalChannel:
        for role, folder in (("inbound", self.inbound), ("outbound", self.outbound)):
            if not folder.is_dir():
                raise PermanentTransportError(
                    f"partner {self.partner_id}: the {role} folder {folder} does not exist")
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def list_inbound(self) -> list[RemoteFile]:
        found = []
        for path in sorted(self.inbound.iterdir()):
            if path.is_file() and any(fnmatch.fnmatch(path.name, p) for p in self.patterns):
                stat = path.stat()
                found.append(RemoteFile(path.name, stat.st_size, stat.st_mtime))
        return found

    def fetch(self, name: str, *, max_bytes: int | None = None) -> bytes:
        path = self._inbound_file(name)
        try:
            with path.open("rb") as source:
                expected = os.fstat(source.fileno()).st_size
                # One byte past the limit tells a file that grew past it from one at it.
                data = source.read(-1 if max_bytes is None else max_bytes + 1)
        except FileNotFoundError as exc:
            raise TransientTransportError(f"partner {self.partner_id}: {name} vanished while "
                                          "being fetched") from exc
        if max_bytes is not None and len(data) > max_bytes:
            raise FileTooLarge(name, max_bytes)
        if len(data) != expected:
            raise TransientTransportError(f"partner {self.partner_id}: {name} changed while "
                                          "being fetched")
        return data

    def after_pickup(self, name: str) -> None:
        path = self._inbound_file(name)
        if self.after == "delete":
            path.unlink(missing_ok=True)
            return
        target = self.root / self.after.removeprefix("move:")
        target.mkdir(parents=True, exist_ok=True)
        shutil.move(path, target / name)

    def publish(self, name: str, data: bytes) -> None:
        final = self.outbound / _plain(name)
        partial = self.outbound / f".{final.name}.part"
        try:
            with partial.open("wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, final)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise TransientTransportError(f"partner {self.partner_id}: publishing {name} "
                                          f"failed: {exc.strerror}") from exc

    def remove_outbound(self, name: str) -> None:
        (self.outbound / _plain(name)).unlink(missing_ok=True)

    def _inbound_file(self, name: str) -> Path:
        return self.inbound / _plain(name)


def _plain(name: str) -> str:
    """A bare file name: a partner's listing can never make us reach outside the folder."""
    if name != os.path.basename(name) or name in ("", ".", ".."):
        raise PermanentTransportError(f"{name!r} is not a plain file name")
    return name
