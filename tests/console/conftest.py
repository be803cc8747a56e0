"""The console over a store holding a whole return story, and over an empty one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.console.app import create_app
from gateway.console.auth import Tokens
from tests.console.story import Story, build_story, empty_store

READ_TOKEN = "read-token-5b1d0c7e4a9f2d36"
ADMIN_TOKEN = "admin-token-c83e19f06b2a4d75"
TOKENS = Tokens(READ_TOKEN, ADMIN_TOKEN)


@pytest.fixture
def story(tmp_path: Path) -> Story:
    return build_story(tmp_path)


@pytest.fixture
def app(story: Story) -> Flask:
    return create_app(story.store, story.config, TOKENS, clock=lambda: story.now)


@pytest.fixture
def empty_app(tmp_path: Path) -> Flask:
    store, config = empty_store(tmp_path)
    return create_app(store, config, TOKENS)


def signed_in(app: Flask, token: str) -> FlaskClient:
    client = app.test_client()
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data={"token": token, "csrf_token": csrf})
    assert response.status_code == 302, response.text
    return client


@pytest.fixture
def reader(app: Flask) -> Iterator[FlaskClient]:
    yield signed_in(app, READ_TOKEN)


@pytest.fixture
def admin(app: Flask) -> Iterator[FlaskClient]:
    yield signed_in(app, ADMIN_TOKEN)


def csrf_of(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"', maxsplit=1)[0]
