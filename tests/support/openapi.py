"""Validate sandbox responses against the official RingCentral OpenAPI spec
(`tests/data/ringcentral/rc-platform.json`, see its README).

`validate_response(method, url, status, body)` finds the operation for the concrete URL path,
picks the declared response for the status, and validates the JSON body with the OpenAPI 3.0
read-validator (readOnly allowed, writeOnly refused). By default it is strict: a property the
schema does not declare fails too, so a misspelt field cannot slip through. Error statuses the
operation does not declare (most operations declare no 401 or 429) are validated against the
spec's standard error models: `OauthInvalidRequest` under /restapi/oauth, else
`ParameterizedErrorResponseModel`.

The spec is loaded once per process. The spec file's own quirks (CONTRACT §0): JSON, not YAML
(`Off` stays a string); no spec validation (one harmless empty `allOf`); `OauthBasicScheme` is
undefined, which only matters for request security, not checked here.
"""

import functools
import json
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from jsonschema.exceptions import ValidationError
from openapi_schema_validator import OAS30ReadValidator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from tests.support.reference import reference_file

SPEC_URI = "urn:rc-platform"


class SpecViolation(AssertionError):
    pass


@functools.cache
def spec() -> dict[str, Any]:
    return json.loads(reference_file("rc-platform.json").read_text())


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource.from_contents(spec(), DRAFT4))


@functools.cache
def _format_checker():
    checker = oas30_format_checker

    @checker.checks("date-time", raises=ValueError)
    def is_datetime(value: object) -> bool:
        if not isinstance(value, str):
            return True
        text = value[:-1] + "+00:00" if value.endswith("Z") else value
        datetime.fromisoformat(text)
        return "T" in value

    return checker


@functools.cache
def _paths() -> list[tuple[re.Pattern, str]]:
    compiled = []
    for template in spec()["paths"]:
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        compiled.append((re.compile(f"^{pattern}$"), template))
    # Literal segments win over parameters: fewer parameters first.
    compiled.sort(key=lambda item: (item[1].count("{"), -len(item[1])))
    return compiled


def find_operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    for pattern, template in _paths():
        if pattern.match(path):
            operation = spec()["paths"][template].get(method.lower())
            if operation is not None:
                return template, operation
    raise SpecViolation(f"no operation {method.upper()} {path} in the spec")


def _deref(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def _schema_for(method: str, path: str, status: int) -> tuple[str, dict[str, Any] | None]:
    template, operation = find_operation(method, path)
    responses = operation.get("responses", {})
    declared = responses.get(str(status)) or responses.get("default")
    if declared is None:
        if status < 400:
            raise SpecViolation(f"{method.upper()} {template} does not declare status {status}")
        name = "OauthInvalidRequest" if path.startswith("/restapi/oauth/") else None
        if name:
            declared = spec()["components"]["responses"][name]
        else:
            return template, {"$ref": "#/components/schemas/ParameterizedErrorResponseModel"}
    content = _deref(declared).get("content")
    if not content:
        return template, None
    media = content.get("application/json") or next(iter(content.values()))
    return template, media.get("schema")


def validate_response(
    method: str,
    url: str,
    status: int,
    body: Any,
    *,
    strict: bool = True,
    allowed_extra: Iterable[str] = (),
) -> str:
    """Raise SpecViolation unless `body` is what the spec declares for this response. Returns
    the matched path template. `allowed_extra` names top-level properties the spec omits but
    RingCentral sends (e.g. `error_description` on OAuth errors, CONTRACT §3.3)."""
    path = urlsplit(url).path
    template, schema = _schema_for(method, path, status)
    if schema is None and status >= 400 and body not in (None, b"", ""):
        # The spec declares some error statuses without content (415, 429 on /oauth/token);
        # the platform still sends its standard error body (CONTRACT §3.3, §9).
        schema = {"$ref": "#/components/schemas/ParameterizedErrorResponseModel"}
        if path.startswith("/restapi/oauth/") and isinstance(body, dict) and "error" in body:
            schema = _deref(spec()["components"]["responses"]["OauthInvalidRequest"])["content"][
                "application/json"
            ]["schema"]
    if schema is None:
        if body not in (None, b"", ""):
            raise SpecViolation(f"{method} {template} {status} declares no body, got {body!r}")
        return template
    ref_schema = _rebase(schema)
    validator = OAS30ReadValidator(
        ref_schema, registry=_registry(), format_checker=_format_checker()
    )
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
    if errors:
        raise SpecViolation(_describe(method, template, status, errors))
    if strict:
        unknown = list(_unknown_properties(schema, body, "$", set(allowed_extra)))
        if unknown:
            raise SpecViolation(
                f"{method} {template} {status}: properties the spec does not declare: {unknown}"
            )
    return template


def _rebase(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return {"$ref": SPEC_URI + schema["$ref"]}
    text = json.dumps(schema).replace('"$ref": "#/', f'"$ref": "{SPEC_URI}#/')
    return json.loads(text)


def _describe(method: str, template: str, status: int, errors: list[ValidationError]) -> str:
    lines = [f"{method} {template} {status} violates the spec:"]
    for error in errors[:10]:
        where = "/".join(str(p) for p in error.absolute_path) or "<body>"
        lines.append(f"  at {where}: {error.message[:300]}")
    return "\n".join(lines)


def _declared(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """All properties a schema (with its allOf/anyOf/oneOf branches) declares, and whether it
    leaves the object open (no properties declared anywhere, or additionalProperties set)."""
    schema = _deref(schema)
    props: dict[str, Any] = dict(schema.get("properties", {}))
    open_ended = bool(schema.get("additionalProperties")) or (
        "properties" not in schema and not any(k in schema for k in ("allOf", "anyOf", "oneOf"))
    )
    for key in ("allOf", "anyOf", "oneOf"):
        for branch in schema.get(key, []):
            branch_props, branch_open = _declared(branch)
            props.update(branch_props)
            open_ended = open_ended or branch_open
    return props, open_ended


def _unknown_properties(schema: dict[str, Any], value: Any, where: str, extra: set[str]):
    schema = _deref(schema)
    if isinstance(value, dict):
        props, open_ended = _declared(schema)
        for key, item in value.items():
            if key in props:
                yield from _unknown_properties(props[key], item, f"{where}.{key}", set())
            elif not open_ended and key not in extra:
                yield f"{where}.{key}"
    elif isinstance(value, list):
        items = schema.get("items")
        if items is None:
            for key in ("allOf", "anyOf", "oneOf"):
                for branch in schema.get(key, []):
                    items = items or _deref(branch).get("items")
        if items is not None:
            for index, item in enumerate(value):
                yield from _unknown_properties(items, item, f"{where}[{index}]", set())


def assert_valid(response, *, allowed_extra: Iterable[str] = ()) -> Any:
    """Validate an httpx response; returns its parsed JSON body (None when empty)."""
    body = response.json() if response.content else None
    validate_response(
        response.request.method,
        str(response.request.url),
        response.status_code,
        body,
        allowed_extra=allowed_extra,
    )
    return body


def validate_schema(name: str, value: Any, *, allowed_extra: Iterable[str] = ()) -> None:
    """Validate a value (e.g. a webhook envelope) against `components/schemas/<name>`."""
    schema = {"$ref": f"#/components/schemas/{name}"}
    validator = OAS30ReadValidator(
        _rebase(schema), registry=_registry(), format_checker=_format_checker()
    )
    errors = sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))
    if errors:
        raise SpecViolation(_describe("schema", name, 0, errors))
    unknown = list(_unknown_properties(schema, value, "$", set(allowed_extra)))
    if unknown:
        raise SpecViolation(f"{name}: properties the spec does not declare: {unknown}")


# Every /restapi JSON response a test's client receives is validated, whether or not the test
# asserts on it; what was validated is recorded for the coverage report at the end of the run.
OAUTH_EXTRA = frozenset({"error_description"})
VALIDATED: set[tuple[str, str]] = set()


# Paths RingCentral serves that the spec leaves out, and the path the spec names.
ALIASES = {"/ringout": "/ring-out"}


def spec_path(path: str) -> str:
    for alias, real in ALIASES.items():
        path = path.replace(alias, real)
    return path


def spec_hook(response) -> None:
    """An httpx response hook: validate /restapi JSON responses against the spec."""
    request = response.request
    path = spec_path(request.url.path)
    content_type = response.headers.get("content-type", "")
    if not path.startswith("/restapi/") or not content_type.startswith("application/json"):
        return
    response.read()
    body = response.json() if response.content else None
    extra = OAUTH_EXTRA if path.startswith("/restapi/oauth/") else frozenset()
    try:
        template = validate_response(
            request.method, path, response.status_code, body, allowed_extra=extra
        )
    except SpecViolation:
        if response.status_code < 400 or _has_operation(request.method, path):
            raise
        # An unknown path or method: the platform's standard error body.
        validate_schema("ParameterizedErrorResponseModel", body)
        return
    VALIDATED.add((request.method.upper(), template))


def _has_operation(method: str, path: str) -> bool:
    try:
        find_operation(method, path)
    except SpecViolation:
        return False
    return True
