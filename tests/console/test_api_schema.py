"""The API against its own OpenAPI document, by property-based testing (schemathesis).

Every operation of /api/v1/openapi.json gets generated requests, valid ones and invalid ones,
sent by an admin client (every scope) to the app over the console's return story: no answer
may be a server error, and every answer must be one the document lists, in its content type
and shape. The examples are derandomized, so CI runs the same ones each time; set
API_SCHEMA_EXAMPLES (e.g. 500) for a release check.

(Schemathesis's own pytest plugin does not run under this pytest; its strategies are driven
by Hypothesis directly here, operation by operation.)
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection

from gateway.console.app import create_app
from gateway.console.throttle import GuessLimit
from tests.console.api_clients import bearer, make_client
from tests.console.story import build_story

ADMIN = "gwt_schemathesis-admin-token-0f3c9a51d2e84b76"
MAX_EXAMPLES = int(os.environ.get("API_SCHEMA_EXAMPLES", "50"))


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> schemathesis.BaseSchema:
    story = build_story(tmp_path_factory.mktemp("api-schema"))
    # Bound to the story's recall coordinator: an upload names no partner or that one.
    make_client(story.store, "ops", "admin", at=story.now - timedelta(days=1), token=ADMIN,
                partner="recalls-hub")
    # Schemathesis also sends wrong tokens (to see they are refused): room for all of them.
    app = create_app(story.store, story.config,
                     clock=lambda: story.now, guesses=GuessLimit(attempts=100_000))
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def _operations(schema: schemathesis.BaseSchema) -> Iterator[object]:
    for result in schema.get_all_operations():
        yield result.ok()


def test_the_document_has_every_operation(api_schema: schemathesis.BaseSchema) -> None:
    labels = {operation.label for operation in _operations(api_schema)}  # type: ignore[attr-defined]
    assert {"GET /api/v1/events", "GET /api/v1/cases", "POST /api/v1/decisions",
            "POST /api/v1/recalls", "POST /api/v1/files/{file_id}/replay",
            "GET /api/v1/files/{file_id}/raw"} <= labels


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_answer_is_one_the_document_promises(api_schema: schemathesis.BaseSchema,
                                                   mode: GenerationMode) -> None:
    for operation in _operations(api_schema):
        _check(operation, mode)


def _check(operation: object, mode: GenerationMode) -> None:
    strategy = operation.as_strategy(generation_mode=mode)  # type: ignore[attr-defined]
    # "Invalid data must be refused" is not checked: one of its mutations drops the
    # Authorization header, which the token sent with every case puts back (test_api.py
    # covers what a missing or wrong token gets), and the multipart upload cannot carry some
    # invalid values (an empty array is sent as no field at all: a valid request). No 500s,
    # documented statuses, content types and shapes are checked for every case.
    excluded = [negative_data_rejection] if mode is GenerationMode.NEGATIVE else []

    @given(case=strategy)
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=bearer(ADMIN), excluded_checks=excluded)

    run()

