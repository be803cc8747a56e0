"""People in the console (issue 15, part 1): a name and a password each, a role each, what
each role may do, sign-ins and refusals in the audit log, and `gateway users`."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.app.access import AuditEntry, AuditOutcome
from gateway.app.people import Permission, Role, may
from gateway.bootstrap import open_store
from gateway.cli import main
from gateway.config.settings import load_config
from tests.console.conftest import csrf_of, login_form, signed_in
from tests.console.story import PASSWORD, Story
from tests.test_cli_robustness import write_config


def test_what_each_role_may_do() -> None:
    assert [p for p in Permission if may(Role.VIEWER, p)] == []
    assert [p for p in Permission if may(Role.OPERATOR, p)] == [Permission.DECIDE]
    assert [p for p in Permission if may(Role.RECALL_COORDINATOR, p)] == [
        Permission.UPLOAD_RECALL]
    assert all(may(Role.ADMIN, p) for p in Permission) and not may(None, Permission.DECIDE)


def test_signing_in_names_the_person_and_is_audited(app: Flask, story: Story) -> None:
    client = signed_in(app, "otto")
    page = client.get("/partners").text
    assert '<span class="person">otto</span>' in page and "role-operator" in page
    wrong = app.test_client()
    wrong.post("/login", data={"name": "otto", "password": "not otto's password",
                               "csrf_token": csrf_of(wrong.get("/login").text)})
    entries = [(r.entry.actor, r.entry.action, r.entry.target, r.entry.outcome)
               for r in story.store.audit_log().entries()]
    assert entries == [("console:otto", "login", "otto", AuditOutcome.DONE),
                       ("console:?", "login", "otto", AuditOutcome.REFUSED)]
    assert PASSWORD not in json.dumps([r.entry.detail for r in
                                       story.store.audit_log().entries()])


def test_a_new_session_id_on_every_sign_in(app: Flask) -> None:
    """Session fixation: whatever cookie a browser had before, signing in gives a new one."""
    client = app.test_client()
    csrf = csrf_of(client.get("/login").text)
    before = client.get_cookie("gateway_console")
    client.post("/login", data=login_form("vera", csrf))
    after = client.get_cookie("gateway_console")
    assert before is not None and after is not None and before.value != after.value


@pytest.mark.parametrize("who", ["vera", "otto", "rosa"])
def test_only_an_admin_replays_and_a_forged_post_is_refused_and_audited(
        app: Flask, story: Story, who: str) -> None:
    client = signed_in(app, who)
    page = client.get(f"/files/{story.rejected_file}").text
    assert "Replay file #" not in page and "Replaying needs an admin" in page
    forged = client.post(f"/files/{story.rejected_file}/replay",
                         data={"csrf_token": csrf_of(page)})
    assert forged.status_code == 403
    [entry] = [r.entry for r in story.store.audit_log().entries() if r.entry.action != "login"]
    assert (entry.actor, entry.action, entry.outcome) == (
        f"console:{who}", "file.replay", AuditOutcome.REFUSED)


def test_an_admin_replay_is_audited_under_their_name(app: Flask, story: Story) -> None:
    admin = signed_in(app, "ada")
    page = admin.get(f"/files/{story.rejected_file}").text
    admin.post(f"/files/{story.rejected_file}/replay", data={"csrf_token": csrf_of(page)})
    [entry] = [r.entry for r in story.store.audit_log().entries() if r.entry.action != "login"]
    assert (entry.actor, entry.action, entry.target, entry.outcome) == (
        "console:ada", "file.replay", f"#{story.rejected_file}", AuditOutcome.DONE)


def test_the_audit_page_is_for_admins(app: Flask, story: Story) -> None:
    admin: FlaskClient = signed_in(app, "ada")
    page = admin.get("/audit")
    assert page.status_code == 200 and "console:ada" in page.text and ">Audit<" in page.text
    csv_text = admin.get("/audit.csv").text
    assert csv_text.startswith("id,at,actor,action,target,outcome,source,detail")
    assert "console:ada" in csv_text
    viewer = signed_in(app, "vera")
    assert viewer.get("/audit").status_code == 403 and viewer.get("/audit.csv").status_code == 403
    assert ">Audit<" not in viewer.get("/partners").text


def test_disabling_a_person_ends_their_session_at_once(app: Flask, story: Story) -> None:
    browser = signed_in(app, "otto")
    assert browser.get("/partners").status_code == 200
    now = datetime(2026, 11, 25, tzinfo=UTC)
    assert story.store.people().disable("otto", now)
    assert story.store.console_sessions().end_of("otto", now, "disabled") == 1
    assert browser.get("/partners").status_code == 302
    assert "Your account was disabled or its password changed." in browser.get("/login").text
    again = app.test_client()
    refused = again.post("/login", data=login_form("otto", csrf_of(again.get("/login").text)))
    assert refused.status_code == 401


def _users(config: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    old = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = io.StringIO(stdin), out, err
    try:
        code = main(["--config", str(config), "users", *args])
    finally:
        sys.stdin, sys.stdout, sys.stderr = old
    return code, out.getvalue(), err.getvalue()


def test_the_users_commands(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"url: 'sqlite:///{tmp_path / 'g.sqlite'}'")
    assert main(["--config", str(config), "db", "upgrade"]) == 0
    secret = "a long enough passphrase\n"
    assert _users(config, "add", "dana", "--role", "admin", "--password-stdin",
                  stdin=secret)[0] == 0
    code, _, err = _users(config, "add", "dana", "--role", "viewer", "--password-stdin",
                          stdin=secret)
    assert code == 1 and "already a person named 'dana'" in err
    code, _, err = _users(config, "add", "lee", "--role", "viewer", "--password-stdin",
                          stdin="short\n")
    assert code == 2 and "at least 12 characters" in err
    assert _users(config, "passwd", "dana", "--password-stdin", stdin=secret)[0] == 0
    assert _users(config, "disable", "dana")[0] == 0
    assert _users(config, "disable", "dana")[0] == 1
    code, out, _ = _users(config, "list", "--json")
    [row] = json.loads(out)
    assert (row["name"], row["role"]) == ("dana", "admin") and row["disabled_at"]
    assert "passphrase" not in out and "argon2" not in out
    code, out, _ = _users(config, "list")
    assert "dana: admin, disabled" in out
    store = open_store(load_config(config))
    assert [(r.entry.action, r.entry.target) for r in store.audit_log().entries()] == [
        ("user.add", "dana"), ("user.passwd", "dana"), ("user.disable", "dana")]
    store.close()


@pytest.mark.parametrize(("who", "path", "form"), [
    ("otto", "/recalls/upload", {"partner": "recalls-hub"}),  # an operator uploads no notice
    ("rosa", "/queue/decide", {"request": "RR1", "verdict": "authorize"}),  # nor decides
    ("rosa", "/partners/odfl/test", {}),  # a coordinator tests no connection
    ("otto", "/partners/odfl/test", {}),
])
def test_no_role_reaches_another_roles_actions(app: Flask, story: Story, who: str, path: str,
                                               form: dict[str, str]) -> None:
    client = signed_in(app, who)
    csrf = csrf_of(client.get("/partners").text)
    assert client.post(path, data={**form, "csrf_token": csrf}).status_code == 403
    refused = [r.entry for r in story.store.audit_log().entries()
               if r.entry.outcome is AuditOutcome.REFUSED]
    assert [e.actor for e in refused] == [f"console:{who}"]


def test_the_audit_csv_holds_every_entry_past_one_page(app: Flask, story: Story) -> None:
    for n in range(130):  # more than a page of the audit page (100)
        story.store.audit_log().append(AuditEntry(
            datetime(2026, 11, 25, tzinfo=UTC), "cli:test", "token.create", f"c{n}",
            AuditOutcome.DONE, "local", {}))
    rows = signed_in(app, "ada").get("/audit.csv").text.splitlines()
    assert len(rows) == 1 + 130 + 1  # the header, the entries, ada's sign-in
