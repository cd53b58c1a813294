"""Fault injection through /sandbox/v1/faults: API errors, 429s, latency, token expiry and
revocation, and webhook delivery faults."""

import time

import pytest

from tests.support.openapi import assert_valid

EXT = "/restapi/v1.0/account/~/extension"
DETAILED = "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"


def test_http_error_fault_fires_count_times_with_a_json_body(sandbox, alice_api):
    fault = sandbox.add_fault("http_error", path=EXT, method="GET", status=503, count=2)
    statuses = [alice_api.get(EXT).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    failed = alice_api.get(EXT)
    assert failed.status_code == 200
    assert sandbox.faults() == []
    logged = sandbox.requests(path_prefix=EXT)
    assert [r["fault_id"] for r in logged] == [fault["id"], fault["id"], None, None]


def test_http_error_fault_body_is_rc_shaped_by_default(sandbox, alice_api):
    sandbox.add_fault("http_error", path=EXT, status=500, count=1)
    response = alice_api.get(EXT)
    assert response.json() == {
        "errors": [{"errorCode": "CMN-203", "message": "Internal Server Error"}]
    }


def test_http_error_fault_can_send_a_non_json_body(sandbox, alice_api):
    sandbox.add_fault(
        "http_error",
        path=EXT,
        status=502,
        body="<html>Bad gateway</html>",
        content_type="text/html",
    )
    response = alice_api.get(EXT)
    assert (response.status_code, response.headers["content-type"], response.text) == (
        502,
        "text/html; charset=utf-8",
        "<html>Bad gateway</html>",
    )


def test_fault_selects_by_method_and_glob(sandbox, alice_api):
    sandbox.add_fault(
        "http_error", path="/restapi/v1.0/account/*/extension/*/presence", method="PUT", status=500
    )
    assert alice_api.get("/restapi/v1.0/account/~/extension/~/presence").status_code == 200
    assert alice_api.put("/restapi/v1.0/account/~/extension/~/presence", json={}).status_code == 500
    assert alice_api.get(EXT).status_code == 200


def test_ratio_fault_fails_some_requests(sandbox, alice_api):
    sandbox.config(rate_limits_enabled=False)
    sandbox.add_fault("http_error", path=EXT, status=500, ratio=0.5)
    statuses = [alice_api.get(EXT).status_code for _ in range(40)]
    assert 5 < statuses.count(500) < 35
    assert set(statuses) == {200, 500}


@pytest.mark.parametrize(("retry_after", "rate_headers"), [(None, False), (7, True)])
def test_rate_limit_fault_with_or_without_headers(sandbox, alice_api, retry_after, rate_headers):
    sandbox.add_fault(
        "rate_limit", path=EXT, count=1, retry_after=retry_after, rate_headers=rate_headers
    )
    response = alice_api.get(EXT)
    assert response.status_code == 429
    assert response.headers.get("retry-after") == (str(retry_after) if retry_after else None)
    assert ("x-rate-limit-group" in response.headers) is rate_headers
    assert assert_valid(response)["errors"][0]["errorCode"] == "CMN-301"


def test_rate_limit_fault_headers_name_the_routes_own_group(sandbox, alice_api):
    sandbox.add_fault("rate_limit", path=EXT, count=1, retry_after=5, rate_headers=True)
    response = alice_api.get(EXT)
    assert response.status_code == 429
    assert {k: v for k, v in response.headers.items() if k.startswith("x-rate-limit")} == {
        "x-rate-limit-group": "medium",
        "x-rate-limit-limit": "40",
        "x-rate-limit-remaining": "0",
        "x-rate-limit-window": "60",
    }


def test_latency_fault_delays_the_response(sandbox, alice_api):
    sandbox.add_fault("latency", path=EXT, seconds=0.4, count=1)
    started = time.monotonic()
    assert alice_api.get(EXT).status_code == 200
    assert time.monotonic() - started >= 0.4


def test_expire_tokens_makes_the_access_token_expired_but_refresh_works(sandbox):
    alice = sandbox.user("101")
    tokens = sandbox.jwt_login(alice)
    result = sandbox.add_fault("expire_tokens", extension_id=alice["extension_id"])
    assert result["sessions"] == [tokens["session_id"]]
    with sandbox.api(tokens["access_token"]) as api:
        response = api.get(EXT)
    assert (response.status_code, response.json()["errors"][0]["errorCode"]) == (401, "OAU-128")
    assert sandbox.refresh(tokens["refresh_token"]).status_code == 200


def test_revoke_session_fault_logs_the_user_out(sandbox):
    tokens = sandbox.jwt_login(sandbox.user("101"))
    sandbox.add_fault("revoke_session", session_id=tokens["session_id"])
    with sandbox.api(tokens["access_token"]) as api:
        assert api.get(EXT).json()["errors"][0]["errorCode"] == "OAU-211"
    assert sandbox.sessions()[0]["active"] is False


def test_bad_fault_specs_are_refused(sandbox):
    for spec in (
        {"kind": "meteor"},
        {"kind": "http_error", "status": 200},
        {"kind": "latency"},
        {"kind": "http_error", "count": 0},
        {"kind": "webhook_drop", "path": "/x"},
        {"kind": "expire_tokens"},
    ):
        response = sandbox.http.post("/sandbox/v1/faults", json=spec)
        assert response.status_code == 400, spec
        assert response.json()["error"]
    assert sandbox.faults() == []


def test_faults_can_be_deleted_one_by_one_or_all(sandbox):
    one = sandbox.add_fault("latency", seconds=0.1)
    sandbox.add_fault("latency", seconds=0.2)
    assert sandbox.http.delete(f"/sandbox/v1/faults/{one['id']}").status_code == 204
    assert sandbox.http.delete(f"/sandbox/v1/faults/{one['id']}").status_code == 404
    assert [f["seconds"] for f in sandbox.faults()] == [0.2]
    sandbox.clear_faults()
    assert sandbox.faults() == []


@pytest.fixture
def subscribed(sandbox, alice_api, webhook_receiver):
    response = alice_api.post(
        "/restapi/v1.0/subscription",
        json={
            "eventFilters": [DETAILED],
            "deliveryMode": {"transportType": "WebHook", "address": webhook_receiver.url},
        },
    )
    assert response.status_code == 200
    return response.json()


def set_status(api, status):
    assert (
        api.put(
            "/restapi/v1.0/account/~/extension/~/presence", json={"userStatus": status}
        ).status_code
        == 200
    )


def test_duplicate_delivery_fault(sandbox, alice_api, webhook_receiver, subscribed):
    sandbox.add_fault("webhook_duplicate", subscription_id=subscribed["id"], copies=1, count=1)
    set_status(alice_api, "Busy")
    first, second = webhook_receiver.wait_for(2)
    assert first.json == second.json


def test_dropped_delivery_fault(sandbox, alice_api, webhook_receiver, subscribed):
    sandbox.add_fault("webhook_drop", event="/presence", count=1)
    set_status(alice_api, "Busy")
    set_status(alice_api, "Available")
    [delivery] = webhook_receiver.wait_for(1)
    assert delivery.json["body"]["userStatus"] == "Available"
    outcomes = [d["outcome"] for d in sandbox.deliveries()]
    assert outcomes == ["dropped", "delivered"]


def test_delivery_log_waits_for_outcomes_of_deliveries_in_flight(
    sandbox, alice_api, webhook_receiver, subscribed
):
    webhook_receiver.set(reply_delay=0.3)
    set_status(alice_api, "Busy")
    webhook_receiver.wait_for(1)
    assert sandbox.deliveries(settle=False) == []  # received, but the answer is not back yet
    assert [d["outcome"] for d in sandbox.deliveries()] == ["delivered"]


def test_delayed_delivery_fault(sandbox, alice_api, webhook_receiver, subscribed):
    sandbox.add_fault("webhook_delay", seconds=30, count=1)
    set_status(alice_api, "Busy")
    set_status(alice_api, "Available")
    webhook_receiver.wait_for(1)
    sandbox.advance(31)
    statuses = [d.json["body"]["userStatus"] for d in webhook_receiver.wait_for(2)]
    assert statuses == ["Available", "Busy"]


def test_reordered_delivery_fault(sandbox, alice_api, webhook_receiver, subscribed):
    sandbox.add_fault("webhook_reorder", hold=2, count=1)
    for status in ("Busy", "Offline", "Available"):
        set_status(alice_api, status)
    sequences = [d.json["body"]["sequence"] for d in webhook_receiver.wait_for(3)]
    first = min(sequences)
    assert sequences == [first + 1, first + 2, first]
