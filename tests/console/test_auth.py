"""Who gets in and who may act: tokens, the session, CSRF, and the headers of every page."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.console.conftest import (
    ADMIN_TOKEN,
    PASSWORD,
    READ_TOKEN,
    csrf_of,
    login_form,
    signed_in,
)
from tests.console.story import Story

PAGES = ["/partners", "/files", "/files/1", "/cases?q=RMA7734021", "/acks", "/recalls",
         "/recalls/26-031"]


@pytest.mark.parametrize("path", PAGES)
def test_without_a_token_a_browser_is_sent_to_the_login_page(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_wrong_bearer_token_is_refused_plainly(app: Flask) -> None:
    response = app.test_client().get("/partners", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.mimetype == "text/plain"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_post_without_a_session_is_401(app: Flask, story: Story) -> None:
    response = app.test_client().post(f"/files/{story.rejected_file}/replay")
    assert response.status_code == 401


@pytest.mark.parametrize("token", [READ_TOKEN, ADMIN_TOKEN])
def test_a_script_reads_with_a_bearer_token(app: Flask, token: str) -> None:
    response = app.test_client().get("/files", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and "status-0220.x12" in response.text


@pytest.mark.parametrize("form", [{"name": "vera", "password": "wrong password here"},
                                  {"name": "nobody", "password": PASSWORD},
                                  {"name": READ_TOKEN, "password": READ_TOKEN},
                                  {"name": "vera", "password": "x" * 5000}])
def test_a_wrong_name_or_password_is_refused_alike(app: Flask, form: dict[str, str]) -> None:
    client = app.test_client()
    csrf = csrf_of(client.get("/login").text)
    response = client.post("/login", data={**form, "csrf_token": csrf})
    assert response.status_code == 401
    assert "That name and password do not sign anybody in." in response.text
    assert client.get("/partners").status_code == 302  # still not signed in


def test_the_login_form_needs_its_csrf_token(app: Flask) -> None:
    response = app.test_client().post("/login", data={"name": "vera", "password": PASSWORD})
    assert response.status_code == 400


def test_the_login_goes_back_only_to_a_page_of_this_console(app: Flask) -> None:
    client = app.test_client()
    csrf = csrf_of(client.get("/login").text)
    response = client.post("/login", data=login_form(READ_TOKEN, csrf,
                                           next="//evil.example/x"))
    assert response.headers["Location"] == "/partners"


def test_the_session_cookie_is_httponly_and_strict(app: Flask) -> None:
    client = app.test_client()
    csrf = csrf_of(client.get("/login").text)
    response = client.post("/login", data=login_form(READ_TOKEN, csrf))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_read_only_cannot_replay(reader: FlaskClient, story: Story) -> None:
    page = reader.get(f"/files/{story.rejected_file}").text
    assert "Replaying needs an admin" in page and "Replay file #" not in page
    response = reader.post(f"/files/{story.rejected_file}/replay",
                           data={"csrf_token": csrf_of(page)})
    assert response.status_code == 403


def test_read_only_bearer_cannot_replay(app: Flask, story: Story) -> None:
    response = app.test_client().post(f"/files/{story.rejected_file}/replay",
                                      headers={"Authorization": f"Bearer {READ_TOKEN}"})
    assert response.status_code == 403


def test_admin_replays_with_the_forms_csrf_token(admin: FlaskClient, story: Story) -> None:
    page = admin.get(f"/files/{story.rejected_file}").text
    assert "Replay file #" in page
    response = admin.post(f"/files/{story.rejected_file}/replay",
                          data={"csrf_token": csrf_of(page)}, follow_redirects=True)
    assert response.status_code == 200
    assert f"Replayed file #{story.rejected_file}: rejected → rejected" in response.text


def test_admin_without_the_csrf_token_is_refused(admin: FlaskClient, story: Story) -> None:
    for data in ({}, {"csrf_token": "forged"}):
        response = admin.post(f"/files/{story.rejected_file}/replay", data=data)
        assert response.status_code == 400


def test_an_admin_script_replays_with_its_bearer_token(app: Flask, story: Story) -> None:
    response = app.test_client().post(f"/files/{story.not_x12_file}/replay",
                                      headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 302


def test_only_failed_files_are_replayed(admin: FlaskClient) -> None:
    page = admin.get("/files/1").text
    assert "Replay file #" not in page
    response = admin.post("/files/1/replay", data={"csrf_token": csrf_of(page)},
                          follow_redirects=True)
    assert "only rejected, partially accepted or not-X12 files" in response.text


def test_sign_out_ends_the_session(reader: FlaskClient) -> None:
    page = reader.get("/partners").text
    assert reader.post("/logout", data={"csrf_token": csrf_of(page)}).status_code == 302
    assert reader.get("/partners").status_code == 302


@pytest.mark.parametrize("path", PAGES)
def test_no_token_ever_appears_in_a_response(app: Flask, path: str) -> None:
    for client in (signed_in(app, READ_TOKEN), signed_in(app, ADMIN_TOKEN)):
        response = client.get(path)
        assert response.status_code == 200
        everything = response.get_data(as_text=True) + str(response.headers)
        assert READ_TOKEN not in everything and ADMIN_TOKEN not in everything


def test_pages_carry_the_security_headers(reader: FlaskClient) -> None:
    response = reader.get("/partners")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp  # no script at all
    assert "unsafe-inline" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
