"""Many small files end to end: `gateway ingest`, `gateway poll` over SFTP, and the transfer alone.

Makes N small valid files of Northwind's (a 180 return request and the 856 that ships it, each
pair with its own references, so every file makes its own case), then measures, each from a
fresh workspace and store (SQLite, everything committed):

* ``ingest``: one ``gateway ingest --partner northwind`` of the local files;
* ``poll``: one ``gateway poll northwind --settle 0`` taking them from a real OpenSSH sshd on
  127.0.0.1 (the partner's copy deleted after each commit, 997s published back);
* ``sftp-b``: OpenSSH's ``sftp -b`` fetching the same files from the same server (``get *``):
  the transfer alone, the figure the poll is held against;
* ``paramiko``: a bare paramiko loop (``listdir``, ``get`` each) over the same server.

Each pair has its own purchase order; ``--shared-order`` puts them all on one (a blanket order),
which shows what a case fold costs when many returns share an order.

Wall seconds of the whole command, files/s, and the command's peak RSS are printed. sshd runs
for the bench alone (its own host key, config and port on 127.0.0.1, no chroot: root only, as in
the tests) and stops at the end; ``--modes ingest`` alone starts none (no root needed).

    .venv/bin/python bench/small_files.py                   # 1,000 files, every mode
    .venv/bin/python bench/small_files.py --files 500 --modes ingest,poll
    .venv/bin/python bench/small_files.py --files 1000 --rounds 6   # a store that grows
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "samples" / "valid"
GATEWAY = [sys.executable, "-m", "gateway.cli"]
MODES = ("ingest", "poll", "sftp-b", "paramiko")
SSHD = Path("/usr/sbin/sshd")


# --- the files ---------------------------------------------------------------------------------
def small_files(folder: Path, count: int, *, shared_order: bool = False,
                first: int = 0) -> list[Path]:
    """``count`` files: pairs of a 180 request and the 856 shipping it, own numbers each
    (with ``shared_order``, every pair on the one purchase order of the samples), numbered
    from ``first`` (even: a pair is never split)."""
    request = (VALID / "180-return-request-004010.x12").read_text()
    notice = (VALID / "856-pick-pack-004010.x12").read_text()
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for number in range(first, first + count):
        pair, template = divmod(number, 2)
        text = _numbered(notice if template else request, number, pair, shared_order)
        path = folder / f"f{number:05d}.x12"
        path.write_text(text)
        made.append(path)
    return made


def _numbered(text: str, number: int, pair: int, shared_order: bool) -> str:
    """The sample with its own interchange and references (ISA13 is fixed width)."""
    control = f"{100_000 + number:09d}"
    order = "4500012345" if shared_order else f"45{pair:08d}"
    for old, new in (("4500012345", order), ("000000101", control), ("000000103", control),
                     ("RR20260114001", f"RR2026{pair:07d}"), ("RMA7734021", f"RMA{pair:07d}"),
                     ("ASN20260120001", f"ASN2026{pair:07d}"),
                     ("ODFL4471122", f"ODFL{pair:07d}"), ("0771001234", f"{pair:010d}"),
                     ("SMX22A0017734", f"SMX{pair:07d}A"), ("SMX22A0017802", f"SMX{pair:07d}B"),
                     ("EKT17B0099120", f"EKT{pair:07d}C")):
        text = text.replace(old, new)
    return text


# --- a real sshd on 127.0.0.1 --------------------------------------------------------------------
@dataclass(frozen=True)
class Server:
    port: int
    key: Path  # the client's private key
    known_hosts: Path


@contextmanager
def sshd(base: Path) -> Iterator[Server]:
    if not SSHD.exists() or os.geteuid() != 0:
        raise SystemExit("the SFTP modes need root and OpenSSH's sshd (apt-get install "
                         "openssh-server)")
    base.mkdir(parents=True, exist_ok=True)
    host, client = base / "host_ed25519", base / "client_ed25519"
    for key in (host, client):
        key.unlink(missing_ok=True)
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)],
                       check=True)
    (base / "authorized_keys").write_text(Path(f"{client}.pub").read_text())
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    (base / "sshd_config").write_text(
        f"ListenAddress 127.0.0.1\nHostKey {host}\nPidFile {base}/sshd.pid\n"
        f"AuthorizedKeysFile {base}/authorized_keys\nStrictModes no\nUsePAM no\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\n"
        "PermitRootLogin prohibit-password\nAllowUsers root\nSubsystem sftp internal-sftp\n")
    host_key = " ".join(Path(f"{host}.pub").read_text().split()[:2])
    known_hosts = base / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_key}\n")
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    process = subprocess.Popen([str(SSHD), "-D", "-e", "-f", str(base / "sshd_config"),
                                "-p", str(port)], stdout=subprocess.DEVNULL,
                               stderr=(base / "sshd.log").open("wb"))
    try:
        _wait_for(port)
        yield Server(port, client, known_hosts)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.02)
    raise SystemExit(f"sshd did not listen on 127.0.0.1:{port}")


# --- a gateway workspace -------------------------------------------------------------------------
def workspace(base: Path, server: Server | None, inbound: Path) -> Path:
    """A fresh folder with the stock config, mappings, Northwind's partner file (over SFTP
    when ``server`` is given) and an upgraded SQLite store."""
    shutil.rmtree(base, ignore_errors=True)
    base.mkdir(parents=True)
    shutil.copy(ROOT / "config.yaml", base / "config.yaml")
    shutil.copytree(ROOT / "mappings", base / "mappings")
    (base / "partners").mkdir()
    partner = yaml.safe_load((ROOT / "partners" / "northwind.yaml").read_text())
    if server is not None:
        (base / "published").mkdir()
        partner["transport"] = sftp_transport(server, inbound, base / "published")
    (base / "partners" / "northwind.yaml").write_text(yaml.safe_dump(partner))
    _gateway(base, "db", "upgrade")
    return base


def sftp_transport(server: Server, inbound: Path, outbound: Path) -> dict[str, object]:
    """A partner's transport: the bench's sshd, the partner's copy deleted once committed."""
    return {"type": "sftp", "host": "127.0.0.1", "port": server.port, "username": "root",
            "private_key": {"file": str(server.key)}, "known_hosts": str(server.known_hosts),
            "inbound": str(inbound), "outbound": str(outbound), "after_pickup": "delete",
            "patterns": ["*.x12"]}


def _gateway(base: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*GATEWAY, *args], cwd=base, capture_output=True, text=True,
                          check=False, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode not in (0, 1):
        raise SystemExit(f"gateway {' '.join(args)} failed ({done.returncode}):\n"
                         f"{done.stderr[-3000:]}")
    return done


# --- the modes -----------------------------------------------------------------------------------
@dataclass
class Figure:
    mode: str
    files: int
    seconds: float
    peak_mb: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.files / self.seconds if self.seconds else 0.0


def _timed(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and output of one child command."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, text=True,
                                   env={**os.environ, "PYTHONPATH": str(ROOT)})
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if process.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n"
                             f"{err.read()[-3000:]}")
        return seconds, usage.ru_maxrss / 1024, out.read()


def run_ingest(base: Path, files: list[Path]) -> Figure:
    return _ingested("ingest", workspace(base / "ingest", None, base), files)


def run_growing_store(base: Path, count: int, rounds: int) -> list[Figure]:
    """``rounds`` ingests of ``count`` new files each into one store: the rate must not fall
    as the store grows (the follow-ups read indexes, never whole tables)."""
    space = workspace(base / "growing", None, base)
    figures = []
    for round_number in range(rounds):
        files = small_files(base / f"round-{round_number}", count, first=round_number * count)
        figure = _ingested(f"round {round_number + 1}", space, files)
        figure.note += f", {(round_number + 1) * count:,} files held"
        figures.append(figure)
    return figures


def _ingested(mode: str, space: Path, files: list[Path]) -> Figure:
    """One `gateway ingest --partner northwind` of ``files`` in ``space``, timed."""
    seconds, peak, output = _timed([*GATEWAY, "ingest", "--partner", "northwind",
                                    *map(str, files)], space)
    return Figure(mode, len(files), seconds, peak, f"{output.count(' accepted')} accepted")


def run_poll(base: Path, files: list[Path], server: Server) -> Figure:
    inbound = _fresh_inbound(base, files)
    space = workspace(base / "poll", server, inbound)
    seconds, peak, _ = _timed([*GATEWAY, "poll", "northwind", "--settle", "0"], space)
    left = len(list(inbound.iterdir()))
    published = len(list((space / "published").iterdir()))
    return Figure("poll", len(files), seconds, peak,
                  f"{left} left in the inbound folder, {published} files published")


def run_sftp_batch(base: Path, files: list[Path], server: Server) -> Figure:
    inbound, target = _fresh_inbound(base, files), _empty(base / "sftp-b")
    batch = base / "batch"
    batch.write_text(f"cd {inbound}\nlcd {target}\nget *\n")
    seconds, peak, _ = _timed(
        ["sftp", "-q", "-b", str(batch), "-i", str(server.key), "-P", str(server.port),
         "-o", f"UserKnownHostsFile={server.known_hosts}", "-o", "StrictHostKeyChecking=yes",
         "root@127.0.0.1"], base)
    return Figure("sftp-b", len(files), seconds, peak,
                  f"{len(list(target.iterdir()))} fetched")


def run_paramiko(base: Path, files: list[Path], server: Server) -> Figure:
    inbound, target = _fresh_inbound(base, files), _empty(base / "paramiko")
    script = (
        "import paramiko, sys\n"
        "c = paramiko.SSHClient(); c.load_host_keys(sys.argv[1])\n"
        "c.set_missing_host_key_policy(paramiko.RejectPolicy())\n"
        "c.connect('127.0.0.1', port=int(sys.argv[2]), username='root', key_filename=sys.argv[3],"
        " look_for_keys=False, allow_agent=False)\n"
        "s = c.open_sftp()\n"
        "for name in s.listdir(sys.argv[4]):\n"
        "    s.get(sys.argv[4] + '/' + name, sys.argv[5] + '/' + name)\n"
        "c.close()\n")
    seconds, peak, _ = _timed([sys.executable, "-c", script, str(server.known_hosts),
                               str(server.port), str(server.key), str(inbound), str(target)],
                              base)
    return Figure("paramiko", len(files), seconds, peak,
                  f"{len(list(target.iterdir()))} fetched")


def _empty(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def _fresh_inbound(base: Path, files: list[Path]) -> Path:
    inbound = _empty(base / "inbound")
    for path in files:
        shutil.copy(path, inbound / path.name)
    return inbound


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--files", type=int, default=1_000, help="how many (default 1,000)")
    parser.add_argument("--modes", default=",".join(MODES), help="modes (default all)")
    parser.add_argument("--shared-order", action="store_true",
                        help="every pair on one purchase order (a blanket order): the case "
                        "folds then reach every document on it")
    parser.add_argument("--rounds", type=int, default=0,
                        help="instead of the modes: ingest --files new files this many times "
                        "into one growing store, a figure per round")
    parser.add_argument("--dir", type=Path,
                        default=Path(tempfile.gettempdir()) / "gateway-bench-small",
                        help="the bench's working folder (emptied first)")
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if unknown := set(modes) - set(MODES):
        parser.error(f"unknown modes: {', '.join(sorted(unknown))}")
    shutil.rmtree(args.dir, ignore_errors=True)
    if args.rounds > 0:
        _print_table(run_growing_store(args.dir, args.files + args.files % 2, args.rounds))
        return 0
    files = small_files(args.dir / "files", args.files, shared_order=args.shared_order)
    print(f"{len(files)} files, {sum(p.stat().st_size for p in files):,} bytes, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, {os.cpu_count()} cores", flush=True)
    figures = []
    # The ingest mode reads local files: it needs no sshd (nor root) when run alone.
    server_needed = any(mode != "ingest" for mode in modes)
    with sshd(args.dir / "sshd") if server_needed else nullcontext() as server:
        for mode in modes:
            if mode == "ingest":
                figure = run_ingest(args.dir, files)
            elif server is None:
                raise AssertionError("an SFTP mode without its server")
            elif mode == "poll":
                figure = run_poll(args.dir, files, server)
            elif mode == "sftp-b":
                figure = run_sftp_batch(args.dir, files, server)
            else:
                figure = run_paramiko(args.dir, files, server)
            figures.append(figure)
            print(f"{figure.mode:<9} {figure.seconds:7.2f} s {figure.rate:7.1f} files/s "
                  f"{figure.peak_mb:6.0f} MB  {figure.note}", flush=True)
    _print_table(figures)
    return 0


def _print_table(figures: list[Figure]) -> None:
    print("\n| mode | files | seconds | files/s | peak RSS MB | |\n|---|---:|---:|---:|---:|---|")
    for f in figures:
        print(f"| {f.mode} | {f.files:,} | {f.seconds:.2f} | {f.rate:.0f} | {f.peak_mb:.0f} "
              f"| {f.note} |")


if __name__ == "__main__":
    sys.exit(main())
