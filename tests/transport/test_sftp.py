"""The SFTP adapter against a real OpenSSH sshd on 127.0.0.1 (see conftest.py)."""

from __future__ import annotations

import logging
import os
import signal
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest

from gateway.errors import (
    PermanentTransportError,
    RemoteFileGone,
    TransientTransportError,
    TransportError,
)
from gateway.transport import sftp as sftp_module
from gateway.transport.retry import with_retries
from gateway.transport.sftp import SftpChannel
from tests.transport.conftest import PartnerFactory, SftpServer, signal_connections


@pytest.fixture
def local_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the adapter's temporary downloads go, so a test can see that none is left."""
    folder = tmp_path / "downloads"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _body_lines(private_key: Path) -> list[str]:
    """The base64 lines of a private key: the text that must never appear anywhere."""
    return [line for line in private_key.read_text().splitlines() if not line.startswith("---")]


def test_list_inbound_gives_matching_files_with_sizes_and_times(
        server: SftpServer, make_partner: PartnerFactory) -> None:
    (server.root / "in" / "a.edi").write_bytes(b"x" * 10)
    (server.root / "in" / "b.x12").write_bytes(b"y" * 2048)
    (server.root / "in" / "notes.txt").write_bytes(b"not ours")
    (server.root / "in" / "folder.edi").mkdir()  # a folder that matches a pattern
    os.utime(server.root / "in" / "a.edi", (1_700_000_000, 1_700_000_000))
    with SftpChannel(make_partner()) as channel:
        files = channel.list_inbound()
    assert [(f.name, f.size) for f in files] == [("a.edi", 10), ("b.x12", 2048)]
    assert files[0].modified == 1_700_000_000


def test_fetch_returns_the_exact_bytes_and_leaves_no_local_file(
        server: SftpServer, make_partner: PartnerFactory, local_tmp: Path) -> None:
    small, large = b"ISA*00*~" * 3, os.urandom(5 * 1024 * 1024)
    (server.root / "in" / "small.edi").write_bytes(small)
    (server.root / "in" / "large.edi").write_bytes(large)
    with SftpChannel(make_partner()) as channel:
        assert channel.fetch("small.edi") == small
        assert channel.fetch("large.edi") == large
        # Listed, then taken by someone else: said as such, and the poll goes on past it
        with pytest.raises(RemoteFileGone, match=r"gone\.edi was gone when it was to be fetched"):
            channel.fetch("gone.edi")
    assert list(local_tmp.iterdir()) == []
    assert (server.root / "in" / "large.edi").exists()  # fetch never removes the original


def test_after_pickup_deletes(server: SftpServer, make_partner: PartnerFactory) -> None:
    (server.root / "in" / "a.edi").write_bytes(b"data")
    with SftpChannel(make_partner()) as channel:
        channel.after_pickup("a.edi")
    assert not (server.root / "in" / "a.edi").exists()
    assert list((server.root / "archive").iterdir()) == []


def test_after_pickup_moves_into_the_folder(server: SftpServer,
                                            make_partner: PartnerFactory) -> None:
    (server.root / "in" / "a.edi").write_bytes(b"new")
    (server.root / "archive" / "a.edi").write_bytes(b"an older file of the same name")
    with SftpChannel(make_partner(after_pickup="move:/archive")) as channel:
        channel.after_pickup("a.edi")
    assert not (server.root / "in" / "a.edi").exists()
    assert (server.root / "archive" / "a.edi").read_bytes() == b"new"


def test_publish_replaces_an_existing_file_and_leaves_no_part(
        server: SftpServer, make_partner: PartnerFactory) -> None:
    (server.root / "out" / "997-1.x12").write_bytes(b"old answer")
    with SftpChannel(make_partner()) as channel:
        channel.publish("997-1.x12", b"new answer")
        channel.publish("997-2.x12", b"second")
    assert sorted(p.name for p in (server.root / "out").iterdir()) == ["997-1.x12", "997-2.x12"]
    assert (server.root / "out" / "997-1.x12").read_bytes() == b"new answer"


def test_publish_falls_back_when_the_server_has_no_posix_rename(
        server: SftpServer, make_partner: PartnerFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def unsupported(self: object, old: str, new: str) -> None:
        raise OSError("Operation unsupported")  # what servers without the extension answer

    monkeypatch.setattr(paramiko.SFTPClient, "posix_rename", unsupported)
    (server.root / "out" / "a.x12").write_bytes(b"old")
    with SftpChannel(make_partner()) as channel:
        channel.publish("a.x12", b"new")
    assert [p.name for p in (server.root / "out").iterdir()] == ["a.x12"]
    assert (server.root / "out" / "a.x12").read_bytes() == b"new"


def test_a_failed_publish_removes_its_partial_file(
        server: SftpServer, make_partner: PartnerFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(self: object, old: str, new: str) -> None:
        assert (server.root / "out" / ".a.x12.part").read_bytes() == b"new"  # uploaded first
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(paramiko.SFTPClient, "posix_rename", denied)
    with SftpChannel(make_partner()) as channel, \
            pytest.raises(PermanentTransportError, match=r"acme .*publish a\.x12"):
        channel.publish("a.x12", b"new")
    assert list((server.root / "out").iterdir()) == []


def test_publish_into_a_folder_the_user_cannot_write_is_permanent(
        make_partner: PartnerFactory) -> None:
    with SftpChannel(make_partner(outbound="/nowhere")) as channel, \
            pytest.raises(PermanentTransportError, match="/nowhere"):
        channel.publish("a.x12", b"data")


def test_an_unknown_host_key_is_refused_and_nothing_moves(
        server: SftpServer, make_partner: PartnerFactory) -> None:
    (server.root / "in" / "a.edi").write_bytes(b"data")
    for known_hosts in (_changed_known_hosts(server), "# nobody\n"):
        partner = make_partner(known_hosts=known_hosts)
        with pytest.raises(PermanentTransportError, match=rf"127\.0\.0\.1.*{server.port}") as err, \
                SftpChannel(partner) as channel:
            channel.publish("sneaky.x12", b"must not arrive")
        assert "connect" in str(err.value)
    assert list((server.root / "out").iterdir()) == []
    assert (server.root / "in" / "a.edi").exists()


def _changed_known_hosts(server: SftpServer) -> str:
    return f"[127.0.0.1]:{server.port} ssh-ed25519 {_other_host_key(server)}\n"


def _other_host_key(server: SftpServer) -> str:
    """The public part of a key that is not the server's (the client key serves)."""
    return (server.keys / "stranger.pub").read_text().split()[1]


def test_a_key_the_server_does_not_know_is_permanent(
        server: SftpServer, make_partner: PartnerFactory) -> None:
    partner = make_partner(key={"file": str(server.keys / "stranger")})
    with pytest.raises(PermanentTransportError, match=r"acme \(127\.0\.0\.1:\d+\): connect"):
        SftpChannel(partner).__enter__()


@pytest.mark.parametrize("kind", ["ecdsa", "rsa"])
def test_ecdsa_and_rsa_keys_work(server: SftpServer, make_partner: PartnerFactory,
                                 kind: str) -> None:
    (server.root / "in" / "a.edi").write_bytes(b"data")
    with SftpChannel(make_partner(key={"file": str(server.keys / kind)})) as channel:
        assert [f.name for f in channel.list_inbound()] == ["a.edi"]


def test_the_key_can_come_from_the_environment_with_a_passphrase(
        server: SftpServer, make_partner: PartnerFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_KEY", (server.keys / "locked").read_text())
    monkeypatch.setenv("ACME_PASS", "correct horse")
    (server.root / "in" / "a.edi").write_bytes(b"data")
    partner = make_partner(key={"env": "ACME_KEY"}, passphrase={"env": "ACME_PASS"})
    with SftpChannel(partner) as channel:
        assert channel.fetch("a.edi") == b"data"


def test_a_missing_inbound_folder_is_permanent_and_named(make_partner: PartnerFactory) -> None:
    with SftpChannel(make_partner(inbound="/outbox")) as channel, \
            pytest.raises(PermanentTransportError, match=r"acme .*: list /outbox: "):
        channel.list_inbound()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A server that accepts TCP connections and never says a word."""
    stop = threading.Event()
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


def test_a_server_that_never_speaks_is_transient_not_a_hang(
        make_partner: PartnerFactory, silent_port: int) -> None:
    partner = make_partner(port=silent_port)
    started = time.monotonic()
    with pytest.raises(TransientTransportError, match=rf"127\.0\.0\.1:{silent_port}\): connect"):
        SftpChannel(partner, timeout=2).__enter__()
    assert time.monotonic() - started < 8


def test_a_server_that_stalls_after_login_times_out_and_keeps_the_file(
        make_partner: PartnerFactory, server: SftpServer) -> None:
    data = b"~".join(b"LIN*%d" % n for n in range(400_000))  # a few MB: many SFTP reads
    (server.root / "in" / "big.x12").write_bytes(data)
    with SftpChannel(make_partner(), timeout=2) as channel:
        [listed] = channel.list_inbound()
        assert signal_connections(server, signal.SIGSTOP) >= 1  # alive but silent
        try:
            started = time.monotonic()
            with pytest.raises(TransientTransportError, match=r"fetch big\.x12") as err:
                channel.fetch(listed.name)
            assert time.monotonic() - started < 15  # the read timeout, not a hang
            assert "stopped answering" in str(err.value)
        finally:
            signal_connections(server, signal.SIGKILL)
    assert (server.root / "in" / "big.x12").read_bytes() == data
    assert not list(Path(tempfile.gettempdir()).glob("gateway-sftp-*.part"))


def test_a_closed_port_is_transient(make_partner: PartnerFactory) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, never listening: connections are refused
        with pytest.raises(TransientTransportError, match="connect"):
            SftpChannel(make_partner(port=port), timeout=2).__enter__()


def test_retries_transient_errors_and_raises_the_last(make_partner: PartnerFactory) -> None:
    attempts: list[int] = []
    waits: list[float] = []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        partner = make_partner(port=s.getsockname()[1])

        def poll() -> list[str]:
            attempts.append(1)
            with SftpChannel(partner, timeout=2) as channel:
                return [f.name for f in channel.list_inbound()]

        with pytest.raises(TransientTransportError):
            with_retries(poll, attempts=3, initial=0.01, jitter=0.01, sleep=waits.append)
    assert len(attempts) == 3
    assert len(waits) == 2 and all(0 < w < 1 for w in waits)


def test_retry_stops_after_success_and_reraises_the_last_error() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise TransientTransportError(f"drop {len(calls)}")
        return "done"

    assert with_retries(flaky, attempts=4, sleep=lambda _: None) == "done"
    assert len(calls) == 3

    def always() -> None:
        calls.append(1)
        raise TransientTransportError(f"drop {len(calls)}")

    calls.clear()
    with pytest.raises(TransientTransportError, match="drop 4"):
        with_retries(always, attempts=4, sleep=lambda _: None)


def test_permanent_errors_are_not_retried(server: SftpServer,
                                          make_partner: PartnerFactory) -> None:
    attempts: list[int] = []
    partner = make_partner(key={"file": str(server.keys / "stranger")})

    def poll() -> None:
        attempts.append(1)
        with SftpChannel(partner) as channel:
            channel.list_inbound()

    with pytest.raises(PermanentTransportError):
        with_retries(poll, attempts=4, sleep=lambda _: None)
    assert attempts == [1]


def test_no_secret_appears_in_any_message_or_log(
        server: SftpServer, make_partner: PartnerFactory, monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    locked = (server.keys / "locked").read_text()
    broken = "\n".join(locked.splitlines()[:3] + locked.splitlines()[4:])  # a line missing
    monkeypatch.setenv("ACME_KEY", locked)
    monkeypatch.setenv("ACME_BROKEN", broken)
    monkeypatch.setenv("ACME_PASS", "wrong battery staple")
    cases = [make_partner(key={"env": "ACME_KEY"}, passphrase={"env": "ACME_PASS"}),
             make_partner(key={"env": "ACME_KEY"}),
             make_partner(key={"env": "ACME_BROKEN"}),
             make_partner(key={"file": str(server.keys / "stranger")})]
    messages = []
    for partner in cases:
        with pytest.raises(PermanentTransportError) as err:
            SftpChannel(partner).__enter__()
        messages.append(_whole_chain(err.value))
    secrets = [*_body_lines(server.keys / "locked"), *_body_lines(server.keys / "stranger"),
               "wrong battery staple"]
    assert len(secrets) > 3
    for text in [*messages, caplog.text]:
        assert not [s for s in secrets if s in text]
    assert "passphrase" in messages[1]


def _whole_chain(error: BaseException) -> str:
    """Every message in the chain, as a logged traceback would show them."""
    texts = []
    current: BaseException | None = error
    while current is not None:
        texts.append(f"{type(current).__name__}: {current} {current.args!r}")
        current = current.__cause__ or (None if current.__suppress_context__
                                        else current.__context__)
    return "\n".join(texts)


def test_every_error_is_a_transport_error_naming_the_partner(
        make_partner: PartnerFactory) -> None:
    with SftpChannel(make_partner()) as channel:
        for action in (lambda: channel.fetch("../etc/passwd"),
                       lambda: channel.after_pickup("missing.edi")):
            with pytest.raises(TransportError, match=r"^acme \(127\.0\.0\.1:\d+\)"):
                action()


def test_odd_names_are_taken_and_path_tricks_stay_in_their_folder(
        server: SftpServer, make_partner: PartnerFactory) -> None:
    inbound = server.root / "in"
    odd = ["-rf.x12", "a b.x12", "..x12", "réturn.x12"]  # legal names that fool careless code
    for name in odd:
        (inbound / name).write_bytes(name.encode())
    (inbound / "folder.x12").mkdir()
    (server.root / "out" / "secret.x12").write_bytes(b"not the partner's to send")
    (inbound / "link.x12").symlink_to("../out/secret.x12")  # a symlink out of the inbound

    with SftpChannel(make_partner()) as channel:
        # Only regular files: a directory or symlink is never fetched as a partner's file.
        assert [f.name for f in channel.list_inbound()] == sorted(odd)
        assert [channel.fetch(name) for name in sorted(odd)] == [n.encode() for n in sorted(odd)]
        for trick in ("../out/secret.x12", "/out/secret.x12", "..", ".", ""):
            for action in (channel.fetch, channel.after_pickup,
                           lambda name: channel.publish(name, b"x")):
                with pytest.raises(PermanentTransportError, match="not a plain file name"):
                    action(trick)
    assert (server.root / "out" / "secret.x12").read_bytes() == b"not the partner's to send"
    assert sorted(p.name for p in (server.root / "out").iterdir()) == ["secret.x12"]


def test_a_big_file_is_read_ahead_a_window_at_a_time_and_arrives_exact(
        server: SftpServer, make_partner: PartnerFactory,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """paramiko's prefetch of a whole file held all of it on loopback (105 MB for a 105 MB
    ASN); the read-ahead asks a window at a time and holds no more."""
    monkeypatch.setattr(sftp_module, "READ_AHEAD_WINDOW_BYTES", 64 * 1024)
    asked: list[int] = []
    real_readv = paramiko.SFTPFile.readv

    def watched(self: Any, chunks: list[tuple[int, int]], *args: Any) -> Any:
        asked.append(sum(length for _, length in chunks))
        return real_readv(self, chunks, *args)
    monkeypatch.setattr(paramiko.SFTPFile, "readv", watched)
    data = os.urandom(1024 * 1024 + 12_345)
    (server.root / "in" / "window.edi").write_bytes(data)
    with SftpChannel(make_partner()) as channel:
        assert channel.fetch("window.edi") == data
    assert len(asked) == 17 and max(asked) == 64 * 1024 and sum(asked) == len(data)
