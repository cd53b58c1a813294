"""Fuzzing the RingCentral API (/restapi) and the login page: every route, enumerated from the
routers, gets bad JSON and form bodies, a valid example body with each field removed or given
a wrong type, bad path parameters (huge ids among them), bad query values (`perPage=-1`,
`page=abc`, `dateFrom=garbage`, ...), bad `Range` and `Authorization` headers. None may answer
5xx, and every 4xx from /restapi has the RingCentral error body (CONTRACT §3.1, §3.3).
"""

from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from tests.sandbox.fuzz import (
    BAD_PATH_VALUES,
    BAD_QUERY_VALUES,
    Fuzzer,
    all_routes,
    fill,
    form_mutations,
    own_sandbox,
    path_params,
    route_id,
)

OUTSIDE = "+14155550123"
MORGAN = "+16505550106"
ROUTES = [r for r in all_routes() if r.kind in ("api", "page")]
# Every query parameter some route reads; each route gets all of them.
QUERY_NAMES = [
    "page",
    "perPage",
    "dateFrom",
    "dateTo",
    "type",
    "status",
    "extensionNumber",
    "email",
    "usageType",
    "paymentType",
    "detailedTelephonyState",
    "view",
    "direction",
    "phoneNumber",
    "showDeleted",
    "showBlocked",
    "withRecording",
    "recordingType",
    "sessionId",
    "telephonySessionId",
    "syncType",
    "syncToken",
    "recordCount",
    "statusGroup",
    "messageType",
    "readStatus",
    "availability",
    "conversationId",
    "distinctConversations",
    "purge",
    "contentDisposition",
    "contentDispositionFilename",
    "access_token",
    "token",
]
BAD_RANGES = ["bytes=abc", "bytes=5-1", "bytes=99999999999999999999999-", "bytes=-0", "x"]
BAD_AUTH = ["Bearer", b"Bearer \xff", "Basic abc", "Basic", "Bearer " + "x" * 5000]


def _party(parties: list[dict[str, Any]], extension_number: str) -> dict[str, Any]:
    return next(p for p in parties if p["extensionNumber"] == extension_number)


class World:
    """The ids a route's path needs, made on first use: a live answered call to Morgan (the
    admin) with a recording, a finished call in the call log, a RingOut, an inbound SMS and
    a subscription."""

    def __init__(self, sandbox, api: httpx.Client, receiver) -> None:
        self.sandbox, self.api, self.receiver = sandbox, api, receiver
        self._values: dict[str, str] = {"accountId": "~", "extensionId": "~"}

    def __getitem__(self, name: str) -> str:
        if name not in self._values:
            getattr(self, f"_make_{name}")()
        return self._values[name]

    def _make_telephonySessionId(self) -> None:
        call = self.sandbox.start_call(OUTSIDE, "106", ring_s=600, record=True)
        call = self.sandbox.drive(call["telephonySessionId"], "answer")
        party = _party(call["parties"], "106")
        self._values.update(
            telephonySessionId=call["telephonySessionId"],
            partyId=party["id"],
            recordingId=party["recordings"][0]["id"],
        )

    _make_partyId = _make_telephonySessionId

    def _make_callRecordId(self) -> None:
        call = self.sandbox.start_call(OUTSIDE, "106", record=True)
        self.sandbox.drive(call["telephonySessionId"], "answer")
        self.sandbox.advance(40)
        ended = self.sandbox.drive(call["telephonySessionId"], "hangup")
        record_id = next(iter(ended["callLogIds"].values()))
        record = self.api.get(f"/restapi/v1.0/account/~/call-log/{record_id}").json()
        self._values["callRecordId"] = record_id
        self._values.setdefault("recordingId", record["recording"]["id"])

    def _make_recordingId(self) -> None:
        self._make_callRecordId()

    def _make_ringoutId(self) -> None:
        response = self.api.post(
            "/restapi/v1.0/account/~/extension/~/ring-out",
            json={"from": {"phoneNumber": MORGAN}, "to": {"phoneNumber": OUTSIDE}},
        )
        self._values["ringoutId"] = str(response.json()["id"])

    def _make_messageId(self) -> None:
        sms = self.sandbox.inbound_message(type="SMS", to="106", **{"from": OUTSIDE}, text="Hi")
        self._values.update(messageId=str(sms["id"]), attachmentId=str(sms["attachment_ids"][0]))

    _make_attachmentId = _make_messageId

    def _make_subscriptionId(self) -> None:
        response = self.api.post("/restapi/v1.0/subscription", json=self.subscription_body())
        self._values["subscriptionId"] = response.json()["id"]

    def subscription_body(self) -> dict[str, Any]:
        return {
            "eventFilters": ["/restapi/v1.0/account/~/extension/~/presence"],
            "deliveryMode": {
                "transportType": "WebHook",
                "address": self.receiver.url,
                "verificationToken": "t",
            },
            "expiresIn": 3600,
        }


PARTY = "/restapi/v1.0/account/{accountId}/telephony/sessions/{telephonySessionId}"
PARTY += "/parties/{partyId}"


def json_examples(route, world: World) -> list[dict[str, Any]]:
    """Valid example JSON bodies for the routes that take one."""
    path = route.path
    sms = {"from": {"phoneNumber": MORGAN}, "to": [{"phoneNumber": OUTSIDE}], "text": "hi"}
    examples: dict[tuple[str, str], list[dict[str, Any]]] = {
        ("PUT", "/restapi/v1.0/account/{accountId}/extension/{extensionId}/presence"): [
            {
                "userStatus": "Busy",
                "dndStatus": "TakeAllCalls",
                "message": "x",
                "allowSeeMyPresence": True,
                "ringOnMonitoredCall": False,
                "pickUpCallsOnHold": False,
            }
        ],
        ("POST", "/restapi/v1.0/subscription"): [world.subscription_body()],
        ("PUT", "/restapi/v1.0/subscription/{subscriptionId}"): [world.subscription_body()],
        ("PATCH", PARTY): [{"muted": True, "standAlone": False}],
        ("POST", PARTY + "/answer"): [{"deviceId": "d1"}],
        ("POST", PARTY + "/ignore"): [{"deviceId": "d1"}],
        ("POST", PARTY + "/pickup"): [{"deviceId": "d1"}],
        ("POST", PARTY + "/forward"): [{"phoneNumber": OUTSIDE, "extensionNumber": "102"}],
        ("POST", PARTY + "/transfer"): [
            {"phoneNumber": OUTSIDE, "extensionNumber": "102", "voicemail": "102"},
            {"parkOrbit": "1"},
        ],
        ("POST", PARTY + "/reply"): [
            {
                "replyWithText": "busy",
                "replyWithPattern": {"pattern": "CallMeBack", "time": 5, "timeUnit": "Minute"},
            }
        ],
        ("POST", PARTY + "/flip"): [{"callFlipId": "1"}],
        ("POST", PARTY + "/bridge"): [
            {"telephonySessionId": world["telephonySessionId"], "partyId": world["partyId"]}
        ],
        ("PATCH", PARTY + "/recordings/{recordingId}"): [{"active": False}],
        ("POST", "/restapi/v1.0/account/{accountId}/telephony/call-out"): [
            {"from": {"deviceId": "d1"}, "to": {"phoneNumber": OUTSIDE}}
        ],
        ("POST", "/restapi/v1.0/account/{accountId}/extension/{extensionId}/sms"): [sms],
        ("POST", "/restapi/v1.0/account/{accountId}/extension/{extensionId}/company-pager"): [
            {"from": {"extensionNumber": "106"}, "to": [{"extensionNumber": "101"}], "text": "x"},
            {"replyOn": 1, "text": "x"},
        ],
        ("POST", "/restapi/v1.0/account/{accountId}/extension/{extensionId}/fax"): [
            {
                "originalMessageId": world["messageId"],
                "to": [{"phoneNumber": OUTSIDE}],
                "sendTime": "2030-01-01T00:00:00Z",
            }
        ],
    }
    for alias in ("ring-out", "ringout"):
        examples[
            ("POST", f"/restapi/v1.0/account/{{accountId}}/extension/{{extensionId}}/{alias}")
        ] = [
            {
                "from": {"phoneNumber": MORGAN, "forwardingNumberId": "1"},
                "to": {"phoneNumber": OUTSIDE},
                "callerId": {"phoneNumber": MORGAN},
                "playPrompt": False,
                "country": {"id": "1"},
            }
        ]
    message = "/restapi/v1.0/account/{accountId}/extension/{extensionId}/message-store/{messageId}"
    examples[("PUT", message)] = [{"readStatus": "Read"}]
    examples[("PATCH", message)] = [{"readStatus": "Read", "availability": "Alive"}]
    return examples.get((route.method, path), [{}])


def form_examples(route, sandbox) -> list[dict[str, str]]:
    creds = sandbox.credentials()
    user = sandbox.user("106")
    if route.path == "/restapi/oauth/token":
        tokens = sandbox.jwt_login(user)
        return [
            {
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": user["jwt"],
                "access_token_ttl": "600",
                "refresh_token_ttl": "3600",
                "endpoint_id": "e1",
            },
            {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
            {
                "grant_type": "authorization_code",
                "code": "nope",
                "redirect_uri": creds["redirect_uris"][0],
                "code_verifier": "v" * 43,
            },
        ]
    if route.path == "/restapi/oauth/revoke":
        return [{"token": sandbox.jwt_login(user)["access_token"]}]
    if route.path == "/restapi/oauth/authorize":
        return [
            {
                "response_type": "code",
                "client_id": creds["public_client_id"],
                "redirect_uri": creds["redirect_uris"][0],
                "state": "s",
                "code_challenge": "c" * 43,
                "code_challenge_method": "S256",
                "login_hint": "106",
            }
        ]
    if route.path == "/sandbox/login":
        return [{"request": "nope", "username": user["email"], "password": "x", "action": "allow"}]
    return []


def restapi_error_shape(response: httpx.Response) -> str | None:
    """CONTRACT §3.1: `{"errors": [{"errorCode", "message", ...}]}`; OAuth endpoints (§3.3)
    add `error` (and `error_description`)."""
    path = response.request.url.path
    if not path.startswith("/restapi/"):
        return None
    try:
        body = response.json()
    except ValueError:
        return f"{response.status_code} not JSON: {response.text[:120]}"
    errors = body.get("errors") if isinstance(body, dict) else None
    if not isinstance(errors, list) or not errors:
        return f"{response.status_code} without errors[]: {response.text[:160]}"
    for item in errors:
        if not (isinstance(item.get("errorCode"), str) and isinstance(item.get("message"), str)):
            return f"{response.status_code} error item without errorCode/message: {item}"
    if path.startswith("/restapi/oauth/") and not isinstance(body.get("error"), str):
        return f"{response.status_code} OAuth error without `error`: {response.text[:160]}"
    return None


@pytest.fixture(scope="module")
def sandbox():
    yield from own_sandbox()


def test_every_body_taking_route_has_a_fuzz_example(sandbox):
    world = World(sandbox, httpx.Client(), SimpleNamespace(url="http://127.0.0.1:1/"))
    world._values.update(messageId="1", telephonySessionId="s", partyId="p")
    missing = [
        route_id(r)
        for r in ROUTES
        if r.method in ("PUT", "PATCH", "POST")
        and json_examples(r, world) == [{}]
        and not form_examples(r, sandbox)
        and not r.path.endswith(("/renew", "/reject", "/hold", "/unhold", "/park", "/mms"))
        and not r.path.endswith("/recordings")
    ]
    assert missing == []


@pytest.mark.parametrize("route", ROUTES, ids=route_id)
def test_route_answers_bad_input_with_a_4xx_in_the_error_shape(sandbox, webhook_receiver, route):
    # Given a fresh account without rate limits, an admin's token, and what the path names
    sandbox.config(rate_limits_enabled=False)
    tokens = sandbox.jwt_login(sandbox.user("106"))
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    api = sandbox.api(tokens["access_token"])
    world = World(sandbox, api, webhook_receiver)
    names = path_params(route.path)
    params = {name: world[name] for name in names}
    url = fill(route.path, params)
    headers = bearer if route.auth else {}
    if route.path.startswith("/restapi/oauth/") and route.path != "/restapi/oauth/authorize":
        headers = sandbox.basic_auth()
    fuzz = Fuzzer(sandbox.http, restapi_error_shape)
    body_method = route.method in ("POST", "PUT", "PATCH")

    # When every kind of bad input is sent
    for example in form_examples(route, sandbox):
        if body_method:
            for label, form in form_mutations(example):
                fuzz.send(label, route.method, url, data=form, headers=headers)
        else:
            for label, query in form_mutations(example):
                fuzz.send(label, route.method, url, params=query, headers=headers)
    for example in json_examples(route, world) if body_method else []:
        fuzz.json_bodies(route.method, url, example, headers=headers)
    if body_method:
        fuzz.bad_content(route.method, url, headers=headers)
    for name in names:
        for bad in [*BAD_PATH_VALUES, "99999999999999999999"]:
            bad_url = fill(route.path, {**params, name: bad})
            fuzz.send(f"{name}={bad[:20]}", route.method, bad_url, headers=headers, json={})
    for name in QUERY_NAMES if route.method in ("GET", "DELETE") else ["page"]:
        for bad in BAD_QUERY_VALUES:
            fuzz.send(
                f"?{name}={bad[:20]!r}", route.method, url, params={name: bad}, headers=headers
            )
    if route.media or "/content" in route.path:
        for bad in BAD_RANGES:
            fuzz.send(f"Range: {bad}", route.method, url, headers={**headers, "Range": bad})
    if route.auth:
        for bad in BAD_AUTH:
            fuzz.send(
                f"Authorization: {bad[:20]}", route.method, url, headers={"Authorization": bad}
            )
    api.close()

    # Then none of it is a server error, and every refusal has the RingCentral error body
    assert fuzz.failures == [], fuzz.report()
