"""Every RingCentral API route the sandbox serves is an operation of the official spec, so the
automatic response validation (tests/support/openapi.spec_hook) has a schema for each of them."""

import importlib
import re

import pytest

from sandbox.platform import MODULES
from tests.support.openapi import find_operation, spec_path


def api_routes():
    for name in MODULES:
        for route in importlib.import_module(name).router.routes:
            if route.kind == "api":
                yield route


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", spec_path(path))


@pytest.mark.parametrize("route", list(api_routes()), ids=lambda r: f"{r.method} {r.path}")
def test_every_api_route_is_a_spec_operation(route):
    template, operation = find_operation(route.method, concrete(route.path))
    assert operation.get("responses"), template
