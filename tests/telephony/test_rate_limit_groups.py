"""The client's table of rate-limit groups is the official spec's `x-throttling-group`."""

import pytest

from telephony.ringcentral.ratelimit import OPERATION_GROUPS, group_for
from tests.support.openapi import spec


@pytest.mark.parametrize(("method", "template", "group"), OPERATION_GROUPS)
def test_group_matches_the_spec(method, template, group):
    operation = spec()["paths"][template][method.lower()]
    assert operation["x-throttling-group"].lower() == group


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("GET", "/restapi/v1.0/account/~/extension/~", "light"),
        ("GET", "/restapi/v1.0/account/~/extension", "medium"),
        ("GET", "/restapi/v1.0/account/37439510/extension?page=2", None),
        ("GET", "/restapi/v1.0/account/37439510/extension", "medium"),
        ("POST", "/restapi/v1.0/account/~/extension/~/ring-out", "heavy"),
        ("POST", "/restapi/v1.0/account/~/extension/~/ringout", "heavy"),
        ("GET", "/restapi/v1.0/account/~/extension/~/call-log", "heavy"),
        ("POST", "/restapi/oauth/token", "auth"),
        ("GET", "/restapi/v1.0/glip/chats", None),
    ],
)
def test_concrete_paths_find_their_group(method, path, group):
    assert group_for(method, path) == group
