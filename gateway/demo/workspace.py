"""The demo's workspace: a folder the demo owns, wiped and written again by every run.

A marker file says the folder is a demo workspace. A folder that exists without it and holds
anything is refused, never wiped: ``--workspace ~/work`` by mistake must not delete a user's
files. What is written: the gateway's client key for each partner (0600), the demo server's
pinned host key (known_hosts), one partner file per partner, config.yaml (a SQLite store in the
workspace, the project's mappings) and each partner's SFTP folder. Every file is checked the
way the gateway checks it (`read_partner`, `load_config`) before anything runs.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

import asyncssh

from gateway.app.partners import PartnerSettings
from gateway.config.partners import read_partner
from gateway.config.settings import GatewayConfig, load_config
from gateway.errors import ConfigError, GatewayError

MARKER = ".gateway-demo"
MARKER_TEXT = ("This folder is a `gateway demo` workspace: every run of the demo deletes it "
               "and writes it again.\n")
PARTNER_IDS = ("northwind", "odfl", "acme", "cpsc")
SFTP_FOLDERS = ("outbox", "inbox", "done")  # partner's outbox = our inbound, inbox = outbound
PROJECT = Path(__file__).resolve().parents[2]  # the checkout: mappings/, programs/, samples/


class WorkspaceRefused(GatewayError):
    """The folder is not the demo's to wipe; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class Workspace:
    root: Path

    @property
    def config_file(self) -> Path:
        return self.root / "config.yaml"

    @property
    def keys(self) -> Path:
        return self.root / "keys"

    @property
    def known_hosts(self) -> Path:
        return self.keys / "known_hosts"

    def sftp_home(self, partner_id: str) -> Path:
        """The folder the partner's SFTP user sees as "/"."""
        return self.root / "sftp" / partner_id

    def client_key(self, partner_id: str) -> Path:
        return self.keys / partner_id


def prepare(folder: Path) -> Workspace:
    """An empty workspace at ``folder``: created, or wiped when it is a demo workspace."""
    # Normalized: the configuration written into it refuses folders that go through '..'.
    root = Path(os.path.abspath(folder))
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        raise WorkspaceRefused(f"{folder} is not a folder; choose another with --workspace")
    if root.is_dir() and any(root.iterdir()):
        if not (root / MARKER).is_file():
            raise WorkspaceRefused(
                f"{folder} is not a demo workspace (it has no {MARKER} file) and is not empty; "
                "nothing was deleted. Choose an empty or new folder with --workspace.")
        shutil.rmtree(root)
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text(MARKER_TEXT)
    workspace = Workspace(root)
    workspace.keys.mkdir(mode=0o700)
    for partner_id in PARTNER_IDS:
        for name in SFTP_FOLDERS:
            (workspace.sftp_home(partner_id) / name).mkdir(parents=True)
    return workspace


def project_folder(name: str) -> Path:
    """A folder of the checkout the demo needs (mappings, programs, samples)."""
    path = PROJECT / name
    if not path.is_dir():
        raise ConfigError(str(path), "(demo)", "is missing: the demo runs from a checkout of "
                          "the project, which has mappings/, programs/ and samples/")
    return path


def write_client_keys(workspace: Workspace) -> dict[str, asyncssh.SSHKey]:
    """The gateway's own key for each partner's server, in a 0600 file the partner file names;
    returned so the server can authorize them."""
    keys = {}
    for partner_id in PARTNER_IDS:
        key = asyncssh.generate_private_key("ssh-ed25519", comment=f"gateway-demo {partner_id}")
        _write_private(workspace.client_key(partner_id), key.export_private_key("openssh"))
        keys[partner_id] = key
    return keys


def _write_private(path: Path, data: bytes) -> None:
    # Created 0600 from the start: there is no moment at which others could read the key.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)


def write_known_hosts(workspace: Workspace, line: str) -> None:
    workspace.known_hosts.write_text(line)


def write_partner_files(workspace: Workspace, port: int) -> dict[str, PartnerSettings]:
    """partners/<id>.yaml for each partner, read back and checked like `gateway partners
    check` does; any problem stops the demo with the file and key."""
    folder = workspace.root / "partners"
    folder.mkdir()
    partners = {}
    for partner_id in PARTNER_IDS:
        path = folder / f"{partner_id}.yaml"
        path.write_text(_template(f"{partner_id}.yaml").substitute(
            transport=_transport(workspace, partner_id, port)))
        partner = read_partner(path)
        if partner.problems:
            raise ConfigError(str(path), "(partner)", "; ".join(partner.problems))
        partners[partner_id] = partner
    return partners


def _transport(workspace: Workspace, partner_id: str, port: int) -> str:
    # known_hosts is relative to the workspace (the gateway resolves it from the partner
    # file's folder's parent); the key file is absolute because it is read as written.
    lines = ["type: sftp", "host: 127.0.0.1", f"port: {port}", f"username: {partner_id}",
             f"private_key: {{file: {_quoted(workspace.client_key(partner_id))}}}",
             "known_hosts: keys/known_hosts", "inbound: /outbox", "outbound: /inbox"]
    return "\n".join(f"  {line}" for line in lines)


def write_config(workspace: Workspace) -> GatewayConfig:
    root = workspace.root
    workspace.config_file.write_text(_template("config.yaml").substitute(
        config=workspace.config_file, partners=_quoted(root / "partners"),
        mappings=_quoted(project_folder("mappings")),
        programs=_quoted(project_folder("programs")), acks=_quoted(root / "acks"),
        canonical=_quoted(root / "canonical"), archive=_quoted(root / "archive"),
        store_url=_quoted(f"sqlite:///{root / 'gateway.sqlite'}")))
    return load_config(workspace.config_file)


def _template(name: str) -> Template:
    return Template(resources.files("gateway.demo").joinpath("files", name).read_text())


def _quoted(value: object) -> str:
    """A YAML scalar for any path: JSON strings are YAML double-quoted strings."""
    return json.dumps(str(value))


def shown(path: Path) -> str:
    """``path`` relative to the current folder when it is under it: shorter to read and copy."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
