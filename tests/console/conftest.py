"""The console over a store holding a whole return story, and over an empty one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gateway.console.app import create_app
from gateway.console.context import EXTENSION
from tests.console.story import (
    ADMIN_TOKEN,
    PASSWORD,
    READ_TOKEN,
    Story,
    add_people,
    build_story,
    empty_store,
)

# A test that names a token signs in as the person of that token's role.
PERSON_OF = {READ_TOKEN: "vera", ADMIN_TOKEN: "ada"}


def login_form(who: str, csrf: str, **extra: str) -> dict[str, str]:
    """The login form of ``who`` (a person, or a token standing for its role's person)."""
    return {"name": PERSON_OF.get(who, who), "password": PASSWORD, "csrf_token": csrf,
            **extra}


@pytest.fixture
def story(tmp_path: Path) -> Story:
    found = build_story(tmp_path)
    add_people(found.store)
    return found


@pytest.fixture
def app(story: Story) -> Flask:
    return create_app(story.store, story.config, clock=lambda: story.now)


@pytest.fixture
def empty_app(tmp_path: Path) -> Flask:
    store, config = empty_store(tmp_path)
    add_people(store)
    return create_app(store, config)


def signed_in(app: Flask, who: str) -> FlaskClient:
    """A browser signed in as ``who`` (a person, or a token standing for its role's); the
    test people are added to the app's store when missing."""
    add_people(app.extensions[EXTENSION].store)
    client = app.test_client()
    page = client.get("/login")
    csrf = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login", data=login_form(who, csrf))
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
