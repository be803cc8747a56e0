"""Console sessions (issue 12, item 7): logout ends a session on the server, sessions expire,
the cookie is Secure over TLS (or behind a proxy the console was told to trust), and a wrong
token is answered at once, by 429 once a client has guessed too often, never by a sleep."""

from __future__ import annotations

import http.client
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import inspect, select

from gateway.console.app import create_app
from gateway.console.server import THREADS, serve_in_thread
from gateway.console.sessions import SessionPolicy
from gateway.console.throttle import GuessLimit, WrongTokens, client_of
from gateway.store.engine import open_engine
from gateway.store.migrate import migration_config, upgrade
from gateway.store.repository import SqlStore
from gateway.store.schema import console_sessions
from gateway.store.sessions import SqlConsoleSessions
from tests.console.conftest import (
    ADMIN_TOKEN,
    READ_TOKEN,
    add_people,
    csrf_of,
    login_form,
    signed_in,
)
from tests.console.story import Story, empty_store
from tests.store import conftest as store_fixtures
from tests.test_cli_robustness import gateway, write_config

# The store tests' databases: a fresh SQLite file and a fresh database on a real PostgreSQL.
postgres_server = store_fixtures.postgres_server
database_url = store_fixtures.database_url

COOKIE = "gateway_console"
# Clients as a proxy on 127.0.0.1 names them (documentation addresses: no traffic goes there).
GUESSER, READER_ADDRESS = "203.0.113.66", "198.51.100.7"


class Clock:
    """The console's "now", moved by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class Seconds:
    """A monotonic clock moved by the test, for the wrong-token window."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def from_address(app: Flask, address: str) -> FlaskClient:
    """A test client whose requests come from ``address`` (only the WSGI environ says so)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def bearer(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def cookie_of(client: FlaskClient) -> str:
    found = client.get_cookie(COOKIE)
    assert found is not None, "no session cookie"
    return found.value


def replaying(app: Flask, cookie: str) -> FlaskClient:
    """A fresh client that sends nothing but a copied session cookie."""
    client = app.test_client()
    client.set_cookie(COOKIE, cookie)
    return client


def sign_out(client: FlaskClient) -> None:
    page = client.get("/partners").text
    assert client.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 302


# --- logout ends the session on the server -------------------------------------------------
def test_a_cookie_replayed_after_logout_is_refused(app: Flask) -> None:
    browser = signed_in(app, ADMIN_TOKEN)
    stolen = cookie_of(browser)
    assert replaying(app, stolen).get("/partners").status_code == 200  # a live session
    sign_out(browser)
    thief = replaying(app, stolen)
    page = thief.get("/partners")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    refused = replaying(app, stolen).post("/files/1/replay", data={"csrf_token": "x"})
    assert refused.status_code == 401 and "That session was signed out." in refused.text
    assert "That session was signed out." in thief.get("/login").text


def test_signing_out_of_a_session_that_ended_goes_to_the_login_page(app: Flask) -> None:
    browser = signed_in(app, READ_TOKEN)
    page = browser.get("/partners").text
    stolen = cookie_of(browser)
    sign_out(browser)
    again = replaying(app, stolen).post("/logout", data={"csrf_token": csrf_of(page)})
    assert again.status_code == 302 and again.headers["Location"] == "/login"


def test_sign_out_all_ends_every_session_of_a_running_console(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    store, config = empty_store(tmp_path)
    add_people(store)
    app = create_app(store, config)
    browsers = [signed_in(app, READ_TOKEN), signed_in(app, ADMIN_TOKEN)]
    monkeypatch.delenv("GATEWAY_CONSOLE_TOKEN", raising=False)  # not needed to sign out
    (tmp_path / "cli").mkdir()
    cli_config = write_config(tmp_path / "cli", f"url: '{config.store_url}'")
    outcome = gateway(capsys, "--config", str(cli_config), "console", "--sign-out-all")
    assert (outcome.code, outcome.out.strip()) == (
        0, "gateway console: signed out 2 sessions; every browser must sign in again")
    for browser in browsers:
        assert browser.get("/partners").status_code == 302
        assert "An administrator signed every console session out." in browser.get(
            "/login").text
    assert app.test_client().get("/partners", headers=bearer(READ_TOKEN)).status_code == 200
    assert signed_in(app, READ_TOKEN).get("/partners").status_code == 200  # sign in anew


# --- sessions expire ----------------------------------------------------------------------
def test_an_idle_session_expires_after_thirty_minutes(story: Story) -> None:
    clock = Clock(story.now)
    app = create_app(story.store, story.config, clock=clock)
    browser = signed_in(app, READ_TOKEN)
    clock.advance(minutes=29)
    assert browser.get("/partners").status_code == 200
    clock.advance(minutes=29)  # 58 minutes in, but only 29 since the last page
    assert browser.get("/partners").status_code == 200
    clock.advance(minutes=31)
    assert browser.get("/partners").status_code == 302
    assert "Your session ended after 30 minutes without activity. Sign in again." in \
        browser.get("/login").text


def test_a_busy_session_still_ends_after_twelve_hours(story: Story) -> None:
    clock = Clock(story.now)
    app = create_app(story.store, story.config, clock=clock)
    browser = signed_in(app, READ_TOKEN)
    for _ in range(35):  # a page every 20 minutes: never idle, 11 h 40 min in all
        clock.advance(minutes=20)
        assert browser.get("/partners").status_code == 200
    clock.advance(minutes=21)
    assert browser.get("/partners").status_code == 302
    assert "Your session reached its limit of 12 hours." in browser.get("/login").text


def test_the_timeouts_are_the_ones_the_console_was_given(story: Story) -> None:
    clock = Clock(story.now)
    policy = SessionPolicy(idle=timedelta(minutes=5), lifetime=timedelta(hours=1))
    app = create_app(story.store, story.config, clock=clock, policy=policy)
    idle = signed_in(app, READ_TOKEN)
    clock.advance(minutes=4)
    assert idle.get("/partners").status_code == 200
    clock.advance(minutes=5, seconds=1)
    assert idle.get("/partners").status_code == 302
    busy = signed_in(app, READ_TOKEN)
    for _ in range(15):  # a page every 4 minutes, the last 56 minutes after signing in
        assert busy.get("/partners").status_code == 200
        clock.advance(minutes=4)
    assert busy.get("/partners").status_code == 302
    assert "Your session reached its limit of 1 hour." in busy.get("/login").text


@pytest.mark.parametrize(("option", "value"), [
    ("--idle-minutes", "0"), ("--idle-minutes", "1441"), ("--session-hours", "169"),
    ("--session-hours", "nan"), ("--trusted-proxy", "proxy.example"),
    ("--trusted-proxy", "\x1b[2J10.0.0.1")])
def test_the_console_refuses_session_options_out_of_range(
        capsys: pytest.CaptureFixture[str], option: str, value: str) -> None:
    outcome = gateway(capsys, "console", f"{option}={value}")
    assert outcome.code == 2 and option in outcome.err
    assert len(outcome.err.strip().splitlines()) == 1 and "\x1b" not in outcome.err


# --- the cookie is Secure over TLS --------------------------------------------------------
def test_the_cookie_is_secure_over_tls_and_not_over_plain_http(app: Flask) -> None:
    for base, secure in (("https://console.example", True), ("http://127.0.0.1", False)):
        cookie = _cookie_when_signing_in(app.test_client(), base_url=base)
        assert ("; Secure" in cookie) is secure, base


def test_x_forwarded_proto_counts_only_from_a_trusted_proxy(story: Story) -> None:
    https = {"X-Forwarded-Proto": "https"}
    default = create_app(story.store, story.config)
    proxied = create_app(story.store, story.config, trusted_proxies=["127.0.0.1"])
    for app, peer, secure in ((default, "127.0.0.1", False), (proxied, "127.0.0.1", True),
                              (proxied, "192.0.2.10", False)):
        cookie = _cookie_when_signing_in(from_address(app, peer), headers=https)
        assert ("; Secure" in cookie) is secure, (peer, secure)


def _cookie_when_signing_in(client: FlaskClient, **request: Any) -> str:
    csrf = csrf_of(client.get("/login", **request).text)
    response = client.post("/login", data=login_form(READ_TOKEN, csrf),
                           **request)
    assert response.status_code == 302, response.text
    return response.headers["Set-Cookie"]


# --- wrong tokens: 429, never a sleep -----------------------------------------------------
def test_a_flood_of_wrong_tokens_does_not_delay_another_client(
        story: Story, monkeypatch: pytest.MonkeyPatch) -> None:
    """The attack of the issue on the real server: 32 wrong bearer requests at once from one
    client, a valid one from another while they are answered. Each wrong one used to sleep a
    second in one of the 4 worker threads, so the valid one waited about 8 s. Now no worker
    sleeps, the valid one is answered at once, and the flood's excess gets 429."""
    slept = _record_worker_sleeps(monkeypatch)
    app = create_app(story.store, story.config, clock=lambda: story.now,
                     trusted_proxies=["127.0.0.1"])  # the test plays the proxy, to name clients
    running = serve_in_thread(app)
    try:
        statuses: list[int] = []
        flood = [threading.Thread(target=lambda: statuses.append(
            _get(running.port, "wrong-token-guess", GUESSER))) for _ in range(32)]
        for thread in flood:
            thread.start()
        started = time.monotonic()
        valid = _get(running.port, READ_TOKEN, READER_ADDRESS)
        waited = time.monotonic() - started
        for thread in flood:
            thread.join(timeout=60)
        thirty_third = _get(running.port, "wrong-token-guess", GUESSER)
    finally:
        running.stop()
    assert slept == []
    assert valid == 200
    assert waited < 3.0, f"a valid request waited {waited:.1f} s behind the wrong ones"
    assert len(statuses) == 32 and set(statuses) == {401, 429}
    # 10 are checked; a burst may slip a few more past the check, one per worker thread
    assert 10 <= statuses.count(401) <= 10 + THREADS
    assert thirty_third == 429


def test_past_the_limit_a_client_gets_429_until_its_window_passes(story: Story) -> None:
    seconds = Seconds()
    app = create_app(story.store, story.config, monotonic=seconds,
                     guesses=GuessLimit(attempts=3, window=60))
    guesser, other = from_address(app, GUESSER), from_address(app, READER_ADDRESS)
    for _ in range(3):
        assert guesser.get("/files", headers=bearer("guess")).status_code == 401
        seconds.now += 5
    refused = guesser.get("/files", headers=bearer("guess"))
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "45")
    assert "try again in 45 seconds" in refused.text
    assert guesser.get("/files", headers=bearer(READ_TOKEN)).status_code == 429  # not checked
    assert other.get("/files", headers=bearer(READ_TOKEN)).status_code == 200
    seconds.now += 44
    assert guesser.get("/files", headers=bearer(READ_TOKEN)).headers["Retry-After"] == "1"
    seconds.now += 1  # the first guess has left the window: one more try
    assert guesser.get("/files", headers=bearer(READ_TOKEN)).status_code == 200


def test_wrong_tokens_on_the_login_form_count_too(story: Story) -> None:
    app = create_app(story.store, story.config)
    guesser = from_address(app, GUESSER)
    csrf = csrf_of(guesser.get("/login").text)
    answers = [guesser.post("/login", data={"name": "vera", "password": f"guess-{n:08d}",
                                            "csrf_token": csrf}) for n in range(11)]
    assert [a.status_code for a in answers] == [401] * 10 + [429]
    # Each wrong password costs an Argon2 check (tenths of a second on a loaded box).
    wait = int(answers[-1].headers["Retry-After"])
    assert 240 <= wait <= 300
    assert f"Too many failed sign-ins from your address: try again in {wait} seconds." in \
        answers[-1].text
    right = guesser.post("/login", data=login_form(READ_TOKEN, csrf))
    assert right.status_code == 429  # locked out: not even the right token is checked
    assert from_address(app, READER_ADDRESS).get("/files", headers=bearer(READ_TOKEN)
                                                 ).status_code == 200


def test_guesses_from_an_address_do_not_sign_out_its_browser(story: Story) -> None:
    app = create_app(story.store, story.config)
    browser = signed_in(app, READ_TOKEN)  # the test client's 127.0.0.1
    guesser = from_address(app, "127.0.0.1")
    codes = {guesser.get("/files", headers=bearer("guess")).status_code for _ in range(12)}
    assert codes == {401, 429}
    assert browser.get("/files").status_code == 200


def test_forwarded_addresses_are_believed_only_from_a_trusted_proxy(story: Story) -> None:
    limit = GuessLimit(attempts=2, window=60)
    direct = create_app(story.store, story.config, guesses=limit)
    spoofer = from_address(direct, GUESSER)
    codes = [spoofer.get("/files", headers=bearer("guess", **{"X-Forwarded-For": f"10.0.0.{n}"})
                         ).status_code for n in range(4)]
    assert codes == [401, 401, 429, 429]  # counted under its own address, whatever it says
    proxied = create_app(story.store, story.config, guesses=limit,
                         trusted_proxies=["127.0.0.0/8"])
    proxy = from_address(proxied, "127.0.0.1")
    codes = [proxy.get("/files", headers=bearer("guess", **{"X-Forwarded-For": client})
                       ).status_code for client in ("10.0.0.1", "10.0.0.1", "10.0.0.2")]
    assert codes == [401, 401, 401]  # two clients behind the proxy, each with its count
    assert proxy.get("/files", headers=bearer(READ_TOKEN, **{"X-Forwarded-For": "10.0.0.1"})
                     ).status_code == 429


def test_a_client_is_its_ipv4_address_or_its_ipv6_64_network() -> None:
    assert client_of("192.0.2.7") == "192.0.2.7"
    assert client_of("::ffff:192.0.2.7") == "192.0.2.7"
    assert client_of("2001:db8:1:2:aaaa::1") == client_of("2001:db8:1:2:ffff::9") \
        == "2001:db8:1:2::/64"
    assert client_of("2001:db8:1:3::1") != client_of("2001:db8:1:2::1")


def test_the_limiter_forgets_the_least_recent_client_past_its_size() -> None:
    seconds = Seconds()
    limiter = WrongTokens(GuessLimit(attempts=1, window=60), seconds, max_clients=2)
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        limiter.failed(address)
    assert limiter.retry_after("192.0.2.1") is None  # forgotten: memory stays bounded
    assert limiter.retry_after("192.0.2.2") == limiter.retry_after("192.0.2.3") == 60


def _record_worker_sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """time.sleep, recorded when a waitress worker thread (one serving a request) calls it."""
    slept: list[float] = []
    real_sleep = time.sleep

    def sleep(seconds: float) -> None:
        if threading.current_thread().name.startswith("waitress-"):
            slept.append(seconds)
        real_sleep(seconds)
    monkeypatch.setattr(time, "sleep", sleep)
    return slept


def _get(port: int, token: str, client: str) -> int:
    """GET /partners with a bearer token, as a proxy on 127.0.0.1 forwarding ``client``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", "/partners",
                           headers=bearer(token, **{"X-Forwarded-For": client}))
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


# --- the store, on SQLite and PostgreSQL --------------------------------------------------
def test_the_session_store_keeps_sign_ins_on_each_database(database_url: str) -> None:
    engine = open_engine(database_url)
    upgrade(engine)
    sessions = SqlConsoleSessions(engine)
    t0 = datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    sessions.start("secret-one", "admin", t0)
    sessions.start("secret-two", "reader", t0 + timedelta(hours=1))
    with engine.connect() as connection:
        kept = set(connection.execute(select(console_sessions.c.id)).scalars())
    assert len(kept) == 2 and not kept & {"secret-one", "secret-two"}  # only digests
    sessions.touch("secret-one", t0 + timedelta(minutes=5))
    found = sessions.find("secret-one")
    assert found is not None and (found.role, found.created_at, found.last_seen) == (
        "admin", t0, t0 + timedelta(minutes=5))
    sessions.end("secret-one", t0 + timedelta(minutes=6), "signed-out")
    sessions.end("secret-one", t0 + timedelta(minutes=7), "idle")  # the first reason stays
    ended = sessions.find("secret-one")
    assert ended is not None and (ended.ended_at, ended.ended_because) == (
        t0 + timedelta(minutes=6), "signed-out")
    assert sessions.end_all(t0 + timedelta(hours=2), "signed-out-all") == 1  # only the open one
    assert sessions.find("nobody") is None
    assert sessions.forget_started_before(t0 + timedelta(minutes=30)) == 1
    assert sessions.find("secret-one") is None and sessions.find("secret-two") is not None


def test_the_migration_adds_the_table_and_takes_it_back(database_url: str) -> None:
    engine = open_engine(database_url)
    upgrade(engine)
    config = migration_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    assert "console_sessions" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "console_sessions" in inspect(engine).get_table_names()
    assert SqlStore(engine).recent_files() == []
