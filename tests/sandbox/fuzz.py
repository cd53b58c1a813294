"""Fuzzing helpers for the sandbox's routes: the routes themselves (from the modules' routers),
bad JSON bodies, mutations of a valid example body, bad path and query values, and a runner
that collects every 5xx (or badly shaped error) instead of stopping at the first."""

import importlib
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sandbox.core.routing import Route
from sandbox.platform import MODULES
from tests.support.sandbox import SandboxClient, start_sandbox

# Bodies that are not a JSON object at all.
BAD_JSON = [
    ("invalid JSON", b"{"),
    ("truncated JSON", b'{"a": [1,'),
    ("not UTF-8", b"\xff\xfe\x00{"),
    ("NaN", b'{"a": NaN}'),
    ("Infinity", b'{"a": -Infinity}'),
    ("float overflow", b'{"a": 1e999}'),
    ("int too long to parse", b'{"a": ' + b"9" * 5000 + b"}"),
    ("deeply nested", b"[" * 100_000 + b"]" * 100_000),
    ("null", b"null"),
    ("array", b"[1, 2]"),
    ("string", b'"text"'),
    ("number", b"42"),
    ("boolean", b"true"),
]
# Values that replace one field of a valid body at a time.
BAD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**30,
    -(10**30),
    1.5e300,
    "",
    "x",
    "-1",
    "x" * 5000,
    "\ud800",
    [],
    [None, 1],
    {},
    {"x": [1]},
]
BAD_PATH_VALUES = ["0", "-1", "abc", "9" * 40, "%00", "%FF", "%E2%80%AE", "x" * 2000, "~~", "1,2,x"]
BAD_QUERY_VALUES = ["", "abc", "-1", "0", "1e999", "9" * 40, "\x00", "[]", "true", "x" * 3000]
# Bodies for a route that reads multipart or form data.
BAD_CONTENT = [
    ("multipart without boundary", "multipart/form-data", b"--x\r\n\r\n"),
    ("multipart garbage", "multipart/form-data; boundary=b", b"--b\r\nnonsense\r\n--b"),
    ("multipart/mixed garbage", "multipart/mixed; boundary=b", b"--b\r\n\r\n{\r\n--b--\r\n"),
    ("form garbage", "application/x-www-form-urlencoded", b"%%%&&&==\xff"),
    ("text/plain", "text/plain", b"hello"),
]
MISSING = object()


def own_sandbox() -> Iterator[SandboxClient]:
    """A sandbox process of the fuzzing module's own: if fuzzing crashes it, the session's
    sandbox (and every later test) is unharmed."""
    server, client = start_sandbox(Path(os.environ.get("TEST_LOG_DIR", "var/test-logs")))
    yield client
    client.close()
    server.stop()


def all_routes() -> list[Route]:
    """Every route every sandbox module declares, in declaration order."""
    return [r for name in MODULES for r in importlib.import_module(name).router.routes]


def route_id(route: Route) -> str:
    return f"{route.method} {route.path}"


def path_params(path: str) -> list[str]:
    return re.findall(r"{(\w+)}", path)


def fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: values[m.group(1)], path)


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every key/index path into a JSON value (at most three levels deep)."""
    if len(prefix) >= 3:
        return
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, child in items:
        yield (*prefix, key)
        if isinstance(child, dict | list) and child:
            yield from _paths(child, (*prefix, key))


def _replace(value: Any, path: tuple, new: Any) -> Any:
    copy = json.loads(json.dumps(value))
    target = copy
    for key in path[:-1]:
        target = target[key]
    if new is MISSING:
        del target[path[-1]]
    else:
        target[path[-1]] = new
    return copy


def body_mutations(example: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
    """(label, raw JSON body): the bad JSON bodies, then the example with one field (at any
    depth) removed or replaced by each bad value, and with an unknown field added."""
    yield from BAD_JSON
    yield "unknown field", json.dumps({**example, "noSuchField!": 1}).encode()
    for path in _paths(example):
        label = ".".join(str(k) for k in path)
        yield f"{label} missing", json.dumps(_replace(example, path, MISSING)).encode()
        for bad in BAD_VALUES:
            mutated = json.dumps(_replace(example, path, bad)).encode()
            yield f"{label}={json.dumps(bad)[:20]}", mutated


def form_mutations(example: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """(label, form fields): each field removed or replaced by each bad query value."""
    for name in example:
        yield f"{name} missing", {k: v for k, v in example.items() if k != name}
        for bad in BAD_QUERY_VALUES:
            yield f"{name}={bad[:20]!r}", {**example, name: bad}


def query_mutations(example: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    for name in example:
        for bad in BAD_QUERY_VALUES:
            yield f"?{name}={bad[:20]!r}", {**example, name: bad}


@dataclass
class Fuzzer:
    """Sends requests and keeps every response that breaks a rule (5xx always; `check` for
    the shape of 4xx bodies)."""

    http: httpx.Client
    check: Callable[[httpx.Response], str | None] = lambda response: None
    failures: list[str] = field(default_factory=list)
    sent: int = 0

    def send(self, label: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        self.sent += 1
        try:
            response = self.http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            self.failures.append(f"{method} {url[:120]} [{label}]: {error!r}")
            return None
        problem = None
        if response.status_code >= 500:
            problem = f"{response.status_code} {response.text[:200]}"
        elif response.status_code >= 400:
            problem = self.check(response)
        if problem:
            self.failures.append(f"{method} {url[:120]} [{label}]: {problem}")
        return response

    def json_bodies(self, method: str, url: str, example: dict[str, Any], **kwargs: Any) -> None:
        headers = {"Content-Type": "application/json", **kwargs.pop("headers", {})}
        for label, raw in body_mutations(example):
            self.send(label, method, url, content=raw, headers=headers, **kwargs)

    def bad_content(self, method: str, url: str, **kwargs: Any) -> None:
        extra = kwargs.pop("headers", {})
        for label, content_type, raw in BAD_CONTENT:
            headers = {"Content-Type": content_type, **extra}
            self.send(label, method, url, content=raw, headers=headers, **kwargs)

    def report(self) -> str:
        shown = "\n".join(self.failures[:40])
        return f"{len(self.failures)} of {self.sent} requests failed:\n{shown}"
