"""Canonical documents as JSON, and the JSON Schema of that JSON, from the same model types.

JSON conventions: enums as their values, dates ``YYYY-MM-DD``, moments ISO 8601 with offset,
Decimals as strings (JSON numbers would lose precision), empty values left out. The schema is
generated from `gateway.model`'s type hints and published as ``schemas/canonical-<v>.json``; a
test keeps the published file equal to what this module generates.
"""

from __future__ import annotations

import dataclasses
import types
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any, Union, get_args, get_origin, get_type_hints

from gateway import model

_DOCUMENTS = (model.ReturnAuthorization, model.ReturnShipment, model.ShipmentStatusReport,
              model.RecallNotice, model.ReceivingAdvice)
_DECIMAL = r"^-?\d+(\.\d+)?$"


def to_json(document: Any) -> Any:
    """A JSON-ready value for a model object (or any value inside one)."""
    if document is None or isinstance(document, str):
        return document  # most values: first, so an ASN's items cost little each
    names = _field_names(document.__class__)
    if names is not None:
        out = {}
        for name in names:
            value = getattr(document, name)
            if value is None:
                continue
            if value.__class__ is not str:  # text is itself (even empty): no call for it
                value = to_json(value)
                if value in (None, [], {}) or (value is False and name == "assumed_zone"):
                    continue
            out[name] = value
        return out
    if isinstance(document, tuple | list):
        return [to_json(item) for item in document]
    return _scalar(document)


def _scalar(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


@cache
def _field_names(kind: Any) -> tuple[str, ...] | None:
    """The fields of a model class, in order (None: not a model class)."""
    if not dataclasses.is_dataclass(kind):
        return None
    return tuple(f.name for f in dataclasses.fields(kind))


def json_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of one canonical document, any of the five kinds."""
    definitions: dict[str, Any] = {}
    refs = [_schema_of(cls, definitions) for cls in _DOCUMENTS]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:returns-gateway:canonical:{model.SCHEMA_VERSION}",
        "title": f"Returns gateway canonical document, version {model.SCHEMA_VERSION}",
        "oneOf": refs,
        "$defs": dict(sorted(definitions.items())),
    }


def _schema_of(hint: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [a for a in get_args(hint) if a is not type(None)]
        return _schema_of(options[0], definitions) if len(options) == 1 else {
            "anyOf": [_schema_of(o, definitions) for o in options]}
    if origin is tuple:
        return {"type": "array", "items": _schema_of(get_args(hint)[0], definitions)}
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        name = hint.__name__
        if name not in definitions:
            definitions[name] = {}  # placeholder: breaks recursion (ShipmentNode.children)
            definitions[name] = _object_schema(hint, definitions)
        return {"$ref": f"#/$defs/{name}"}
    return _scalar_schema(hint)


def _object_schema(cls: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    hints = _hints(cls)
    properties = {name: _schema_of(hint, definitions) for name, hint in hints.items()}
    required = [f.name for f in dataclasses.fields(cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    if cls in _DOCUMENTS:  # a document: its kind is fixed and always written
        properties["kind"] = {"const": next(f.default for f in dataclasses.fields(cls)
                                            if f.name == "kind")}
        required.append("kind")
    schema: dict[str, Any] = {"type": "object", "properties": properties,
                              "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _scalar_schema(hint: Any) -> dict[str, Any]:
    if isinstance(hint, type) and issubclass(hint, Enum):
        return {"enum": [member.value for member in hint]}
    return {
        str: {"type": "string"},
        int: {"type": "integer"},
        bool: {"type": "boolean"},
        Decimal: {"type": "string", "pattern": _DECIMAL},
        date: {"type": "string", "format": "date"},
        datetime: {"type": "string", "format": "date-time"},
    }[hint]


@cache
def _hints(cls: Any) -> dict[str, Any]:
    return get_type_hints(cls)
