"""Check an answer against what the OpenAPI document says of it: its status is documented, and its
body validates against the schema documented for that status (JSON Schema 2020-12, the dialect of
OpenAPI 3.1), with ``format`` asserted so that a date-time that is not one fails."""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from fastapi.testclient import TestClient
from httpx import Response


def documented_schema(client: TestClient, method: str, path: str, status: int) -> dict[str, Any]:
    """The schema of ``status``'s JSON body on ``method path`` (the path as templated in the document)."""
    spec = client.get("/openapi.json").json()
    responses = spec["paths"][path][method.lower()]["responses"]
    assert str(status) in responses, f"{method} {path} does not document {status}"
    content = responses[str(status)].get("content", {})
    media = next(m for m in content if m.endswith("json"))
    # The document's components travel with the schema, so that its $refs resolve.
    return {**content[media]["schema"], "components": spec["components"]}


def assert_documented(client: TestClient, method: str, path: str, response: Response) -> Any:
    """``response``'s body, after checking it against the document; returns the parsed body."""
    schema = documented_schema(client, method, path, response.status_code)
    body = response.json()
    validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, f"{method} {path} {response.status_code} is not as documented:\n" + "\n".join(errors[:20])
    return body
