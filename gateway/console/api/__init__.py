"""The JSON API, /api/v1, served by the console's web app (one stack, one server).

Its OpenAPI 3.1 document is generated from the code (``/api/v1/openapi.json``) by APIFlask;
every route needs a named client's token (``auth.py``), and every write is audited.
"""

from __future__ import annotations

from typing import Any

from apiflask import APIBlueprint

from . import cases, feed, files, receiving, records
from .auth import refuse_token_in_address

BLUEPRINTS: tuple[APIBlueprint, ...] = (feed.blueprint, cases.blueprint, records.blueprint,
                                        files.blueprint, receiving.blueprint)
PREFIX = "/api/"

for _blueprint in BLUEPRINTS:  # before anything else, on every API route
    _blueprint.before_request(refuse_token_in_address)

# Answers any API route may give: a token in the address (400), a client without the scope
# (403), and too many wrong tokens from the caller's address (429, with Retry-After).
_COMMON_ANSWERS = {
    "400": "a token was sent in the address; send it in the Authorization header",
    "403": "the client's scopes (or the partner it is bound to) do not allow this",
    "429": "too many wrong tokens from this address: wait the Retry-After seconds",
}


def with_common_answers(spec: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI document with the answers every API route may give added to each, and
    every request body marked required (each write needs its body: none is a 422)."""
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}}
    for operations in spec.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                operation["requestBody"]["required"] = True
                operation["responses"].setdefault("413", {
                    "description": "the request body is larger than this operation takes",
                    "content": error})
            for status, description in _COMMON_ANSWERS.items():
                operation["responses"].setdefault(status, {"description": description,
                                                           "content": error})
    return spec
