"""The login page's ``next=``: wherever it points, the console answers with a redirect to one of
its own pages (or the partners page), never a 500, another site, or a header it did not mean
to send (issue 11, item 9). Also the other values a URL carries into a page: file numbers the
store cannot hold and control characters in a search."""

from __future__ import annotations

import pytest
from flask import Flask

from tests.console.conftest import READ_TOKEN, csrf_of, login_form, signed_in

HOME = "/partners"
HOSTILE_NEXT = {
    "CR LF header injection": "/files\r\nSet-Cookie: stolen=1",
    "LF alone": "/files\nLocation: https://evil.example/",
    "protocol-relative": "//evil.example/x",
    "absolute https": "https://evil.example/",
    "javascript": "javascript:alert(1)",
    "backslash after slash": "/\\evil.example",
    "two backslashes": "\\\\evil.example",
    "tab in the slashes": "/\t/evil.example",
    "slash backslash slash": "/\\/evil.example",
    "NUL": "/files\x00",
    "ANSI escape": "/files\x1b[2J",
    "very long": "/files?partner=" + "a" * 20_000,
    "not a page of the console": "/etc/passwd",
    "empty": "",
    "relative": "files",
}


def assert_safe_redirect(location: str, expected: str) -> None:
    assert location == expected
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert not any(c in location for c in "\r\n\t\x00\\")


@pytest.mark.parametrize("target", HOSTILE_NEXT.values(), ids=HOSTILE_NEXT.keys())
def test_signing_in_with_a_hostile_next_goes_home(empty_app: Flask, target: str) -> None:
    client = empty_app.test_client()
    csrf = csrf_of(client.get("/login").text)
    response = client.post("/login", data=login_form(READ_TOKEN, csrf, next=target))
    assert response.status_code == 302, response.text
    assert_safe_redirect(response.headers["Location"], HOME)


@pytest.mark.parametrize("target", HOSTILE_NEXT.values(), ids=HOSTILE_NEXT.keys())
def test_a_signed_in_visit_to_login_with_a_hostile_next_goes_home(empty_app: Flask,
                                                                  target: str) -> None:
    client = signed_in(empty_app, READ_TOKEN)
    response = client.get("/login", query_string={"next": target})
    assert response.status_code == 302, response.text
    assert_safe_redirect(response.headers["Location"], HOME)


@pytest.mark.parametrize("target", HOSTILE_NEXT.values(), ids=HOSTILE_NEXT.keys())
def test_the_login_form_carries_only_a_safe_next(empty_app: Flask, target: str) -> None:
    response = empty_app.test_client().get("/login", query_string={"next": target})
    assert response.status_code == 200
    assert f'name="next" value="{HOME}"' in response.text


@pytest.mark.parametrize("target", ["/files?state=rejected", "/files/12", "/cases?q=RMA7734021",
                                    "/recalls/26-031", "/acks?show=overdue"])
def test_a_page_of_the_console_is_where_the_login_returns(empty_app: Flask,
                                                          target: str) -> None:
    client = empty_app.test_client()
    csrf = csrf_of(client.get("/login").text)
    response = client.post("/login", data=login_form(READ_TOKEN, csrf, next=target))
    assert_safe_redirect(response.headers["Location"], target)


def test_an_unsigned_visit_is_sent_to_login_and_back(empty_app: Flask) -> None:
    client = empty_app.test_client()
    first = client.get("/files?state=rejected")
    assert first.status_code == 302
    csrf = csrf_of(client.get(first.headers["Location"]).text)
    back = client.post(first.headers["Location"],
                       data=login_form(READ_TOKEN, csrf))
    assert back.headers["Location"] == "/files?state=rejected"


@pytest.mark.parametrize("path", ["/files/99999999999999999999999",
                                  "/files/9223372036854775808",
                                  "/files/9223372036854775808/replay"])
def test_a_file_number_the_store_cannot_hold_is_a_404(empty_app: Flask, path: str) -> None:
    client = signed_in(empty_app, READ_TOKEN)
    csrf = csrf_of(client.get(HOME).text)
    response = client.post(path, data={"csrf_token": csrf}) if path.endswith("replay") \
        else client.get(path)
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/cases?q=%00RMA", "/cases?q=RMA%0d%0a", "/files?partner=%00",
                                  "/acks?partner=%1b%5b2J", "/recalls/26-%00031",
                                  "/files?state=%00"])
def test_control_characters_in_a_page_address_are_not_a_500(empty_app: Flask,
                                                            path: str) -> None:
    response = signed_in(empty_app, READ_TOKEN).get(path)
    assert response.status_code in (200, 404)
    assert "\x00" not in response.text and "\x1b" not in response.text
