"""Fuzzing the control API (/sandbox/v1): every route, enumerated from the routers, gets bad
JSON, a valid example body with each field removed or given a wrong type or an absurd value,
bad path parameters and bad query values. None may answer 5xx; every 4xx is `{"error": ...}`.
"""

from typing import Any

import httpx
import pytest

from tests.sandbox.fuzz import (
    BAD_PATH_VALUES,
    Fuzzer,
    all_routes,
    fill,
    own_sandbox,
    path_params,
    query_mutations,
    route_id,
)

OUTSIDE = "+14155550123"
CONTROL_ROUTES = [r for r in all_routes() if r.kind == "control"]

# (method, path) -> valid example bodies (each is mutated field by field).
BODIES: dict[tuple[str, str], list[dict[str, Any]]] = {
    ("POST", "/sandbox/v1/reset"): [{"seed": "basic", "keep_config": True}],
    ("PATCH", "/sandbox/v1/config"): [
        {
            "access_token_ttl": 3600,
            "strict_refresh": False,
            "rate_limits": {"Light": 50, "Heavy": 10},
            "rate_limit_multiplier": 1.0,
            "ring_timeout": 20,
        }
    ],
    ("PATCH", "/sandbox/v1/app"): [
        {
            "client_id": "{client_id}",
            "redirect_uris": ["http://127.0.0.1:1/cb/"],
            "add_redirect_uris": ["http://127.0.0.1:2/cb/"],
            "remove_redirect_uris": ["http://127.0.0.1:1/cb/"],
        }
    ],
    ("POST", "/sandbox/v1/faults"): [
        {
            "kind": "http_error",
            "status": 503,
            "path": "/restapi/v1.0/nowhere",
            "method": "GET",
            "count": 1,
            "ratio": 0.5,
            "body": {"errors": [{"errorCode": "X", "message": "y"}]},
            "content_type": "application/json",
            "headers": {"X-Test": "1"},
        },
        {
            "kind": "rate_limit",
            "path": "/restapi/v1.0/nowhere*",
            "retry_after": 5,
            "rate_headers": True,
            "body": "slow down",
        },
        {"kind": "latency", "seconds": 0.01, "path": "/restapi/v1.0/nowhere"},
        {"kind": "webhook_duplicate", "copies": 2, "subscription_id": "1", "event": "presence"},
        {"kind": "webhook_reorder", "hold": 2},
        {"kind": "webhook_delay", "seconds": 1},
        {"kind": "webhook_fail", "reason": "boom", "count": 2},
        {"kind": "expire_tokens", "extension_id": "{extension_id}", "refresh_token_too": True},
        {"kind": "revoke_session", "client_id": "{client_id}"},
        {"kind": "call_log_sync_reset", "extension_id": "{extension_id}"},
        {"kind": "message_sync_reset", "extension_id": "{extension_id}"},
    ],
    ("POST", "/sandbox/v1/clock"): [{"advance_s": 1}],
    ("POST", "/sandbox/v1/calls"): [
        {
            "from": OUTSIDE,
            "to": "101",
            "from_name": "Jane Roe",
            "ring_s": 5,
            "voicemail_s": 5,
            "transcription": "hello",
            "record": True,
            "device_id": "d1",
        },
        {"from": OUTSIDE, "to": "+16505550100", "ivr_choice": "102", "ivr_s": 1},
    ],
    ("POST", "/sandbox/v1/calls/{telephonySessionId}/{action}"): [
        {"side": "callee", "duration_s": 5, "mode": "OnDemand"},
        {"party_id": "{party_id}"},
    ],
    ("POST", "/sandbox/v1/messages"): [
        {
            "type": "SMS",
            "to": "101",
            "from": OUTSIDE,
            "from_name": "Jane Roe",
            "text": "hi",
            "attachments": [{"filename": "a.txt", "text": "x", "content_type": "text/plain"}],
        },
        {
            "type": "MMS",
            "to": "+16505550101",
            "from": OUTSIDE,
            "attachments": [{"content_base64": "iVBORw0K", "content_type": "image/png"}],
        },
        {"type": "Fax", "to": "106", "from": OUTSIDE, "pages": 2, "fax_resolution": "Low"},
        {
            "type": "VoiceMail",
            "to": "101",
            "from": OUTSIDE,
            "duration_s": 5,
            "transcription": "call me",
            "telephony_session_id": "s-1",
        },
    ],
    ("POST", "/sandbox/v1/messages/numbers"): [
        {"phone_numbers": [OUTSIDE], "state": "blocked", "error_code": "MSG-243"},
        {"phone_number": OUTSIDE, "state": "normal"},
    ],
    ("POST", "/sandbox/v1/traffic"): [
        {
            "action": "start",
            "rate": 1,
            "seed": "x",
            "limit": 1,
            "users": ["101"],
            "mix": {"inbound_call": 1, "sms_inbound": 1},
            "outcomes": {"answered": 1},
            "outbound_outcomes": {"busy": 1},
            "hold_ratio": 0.5,
            "talk_median_s": 30,
            "parties": [{"name": "Jane Roe", "number": OUTSIDE}],
        },
        {"action": "stop"},
    ],
}
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/sandbox/v1/requests"): {
        "since": "1",
        "path_prefix": "/restapi",
        "method": "GET",
        "status": "200",
        "grant_type": "refresh_token",
        "extension_id": "1",
        "limit": "5",
    },
    ("GET", "/sandbox/v1/outbox"): {"kind": "sms", "extension_id": "1", "since": "0"},
    ("GET", "/sandbox/v1/sessions"): {"extension_id": "1", "client_id": "x", "active": "true"},
    ("GET", "/sandbox/v1/deliveries"): {"subscription_id": "1", "since": "0"},
    ("GET", "/sandbox/v1/calls"): {"all": "true"},
}


@pytest.fixture(scope="module")
def sandbox():
    yield from own_sandbox()


def test_every_control_route_has_a_fuzz_example():
    """A new control route that reads a body must get an example here to be fuzzed."""
    taking_bodies = {
        (r.method, r.path) for r in CONTROL_ROUTES if r.method in ("POST", "PUT", "PATCH")
    }
    assert taking_bodies - set(BODIES) == set()
    assert set(BODIES) <= {(r.method, r.path) for r in CONTROL_ROUTES}
    assert set(QUERIES) <= {(r.method, r.path) for r in CONTROL_ROUTES}


def control_error_shape(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} not JSON: {response.text[:120]}"
    if not isinstance(body, dict) or not isinstance(body.get("error"), str) or not body["error"]:
        return f"{response.status_code} without an error message: {response.text[:120]}"
    return None


def _substitute(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("{") and value.endswith("}"):
        return names.get(value[1:-1], value)
    if isinstance(value, dict):
        return {k: _substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, names) for v in value]
    return value


def _live_call(sandbox) -> dict[str, Any]:
    return sandbox.start_call(OUTSIDE, "101", ring_s=60)


@pytest.mark.parametrize("route", CONTROL_ROUTES, ids=route_id)
def test_control_route_answers_bad_input_with_a_4xx(sandbox, route):
    # Given a fresh account with a live call to drive
    alice = sandbox.user("101")
    call = _live_call(sandbox)
    names = {
        "client_id": sandbox.credentials()["client_id"],
        "extension_id": alice["extension_id"],
        "party_id": call["calleePartyId"],
    }
    params = {"telephonySessionId": call["telephonySessionId"], "action": "answer"}
    params["faultId"] = sandbox.add_fault("webhook_drop", count=1)["id"]
    fuzz = Fuzzer(sandbox.http, control_error_shape)
    url = fill(route.path, params)
    examples = [_substitute(b, names) for b in BODIES.get((route.method, route.path), [{}])]

    # When every kind of bad input is sent
    for example in examples:
        if route.method in ("POST", "PUT", "PATCH"):
            fuzz.json_bodies(route.method, url, example)
        for name in path_params(route.path):
            for bad in BAD_PATH_VALUES:
                bad_url = fill(route.path, {**params, name: bad})
                fuzz.send(f"{name}={bad[:20]}", route.method, bad_url, json=example)
    for label, query in query_mutations(QUERIES.get((route.method, route.path), {})):
        fuzz.send(label, route.method, url, params=query)
    if route.method in ("POST", "PUT", "PATCH"):
        fuzz.bad_content(route.method, url)

    # Then none of it is a server error, and every refusal says what was wrong
    assert fuzz.failures == [], fuzz.report()
