"""Webhook subscriptions: the handshake, limits, filters, expiry, reminders, delivery and
blacklisting (CONTRACT §5, §6.2)."""

import time

import pytest

from tests.support.openapi import assert_valid, validate_schema
from tests.support.webhooks import subscribe

DETAILED = "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"


def set_status(api, status: str, ext: str = "~"):
    response = api.put(
        f"/restapi/v1.0/account/~/extension/{ext}/presence", json={"userStatus": status}
    )
    assert response.status_code == 200, response.text


def test_create_runs_the_validation_handshake_and_returns_subscription_info(
    sandbox, alice, webhook_receiver
):
    _, api = alice
    response = subscribe(api, webhook_receiver, [DETAILED])
    info = assert_valid(response)
    assert info["status"] == "Active"
    assert info["eventFilters"] == [DETAILED]
    assert info["expiresIn"] in (604799, 604800)
    assert info["deliveryMode"] == {
        "transportType": "WebHook",
        "encryption": False,
        "address": webhook_receiver.url,
    }
    [validation] = webhook_receiver.validations
    assert validation.headers["validation-token"]
    assert validation.headers["verification-token"] == "vt-1"
    assert validation.body == b""
    # CONTRACT §5.3's verbatim validation request has no Content-Type (an empty POST).
    assert "content-type" not in validation.headers


def test_presence_change_is_delivered_with_the_envelope_and_verification_token(
    sandbox, alice, webhook_receiver
):
    user, api = alice
    sub = subscribe(api, webhook_receiver, [DETAILED]).json()
    set_status(api, "Busy")
    [delivery] = webhook_receiver.wait_for(1)
    note = delivery.json
    validate_schema("DetailedExtensionPresenceEvent", note, allowed_extra={"ownerId"})
    assert delivery.headers["verification-token"] == "vt-1"
    assert delivery.headers["content-type"] == "application/json; charset=UTF-8"
    assert (delivery.headers["accept"], delivery.headers["accept-encoding"]) == (
        "application/json",
        "UTF-8",
    )  # the documented notification headers (CONTRACT §5.4)
    ext = user["extension_id"]
    assert (
        note["event"]
        == f"/restapi/v1.0/account/~/extension/{ext}/presence?" + "detailedTelephonyState=true"
    )
    assert (note["subscriptionId"], note["ownerId"]) == (sub["id"], user["extension_id"])
    body = note["body"]
    assert (body["extensionId"], body["userStatus"], body["presenceStatus"]) == (
        user["extension_id"],
        "Busy",
        "Busy",
    )
    assert body["activeCalls"] == []
    set_status(api, "Available")
    second = webhook_receiver.wait_for(2)[1].json
    assert second["body"]["sequence"] == body["sequence"] + 1
    assert second["uuid"] != note["uuid"]


def test_simple_presence_filter_gets_the_simple_body(sandbox, alice, webhook_receiver):
    user, api = alice
    subscribe(api, webhook_receiver, ["/restapi/v1.0/account/~/extension/~/presence"])
    set_status(api, "Busy")
    note = webhook_receiver.wait_for(1)[0].json
    validate_schema("ExtensionPresenceEvent", note, allowed_extra={"ownerId"})
    assert note["event"] == f"/restapi/v1.0/account/~/extension/{user['extension_id']}/presence"
    assert "activeCalls" not in note["body"]


def test_simple_and_detailed_filters_on_one_subscription_deliver_once_detailed(
    sandbox, alice, webhook_receiver
):
    _, api = alice
    subscribe(api, webhook_receiver, ["/restapi/v1.0/account/~/extension/~/presence", DETAILED])
    set_status(api, "Busy")
    webhook_receiver.wait_for(1)
    time.sleep(0.2)
    assert len(webhook_receiver.deliveries) == 1
    assert webhook_receiver.deliveries[0].json["event"].endswith("?detailedTelephonyState=true")


def test_supervisor_watches_the_whole_account(sandbox, alice, webhook_receiver):
    user, api = alice
    sofia = sandbox.jwt_login(sandbox.user("supervisor"))
    with sandbox.api(sofia["access_token"]) as sup:
        assert (
            subscribe(
                sup,
                webhook_receiver,
                ["/restapi/v1.0/account/~/presence?detailedTelephonyState=true"],
            ).status_code
            == 200
        )
    set_status(api, "Busy")
    note = webhook_receiver.wait_for(1)[0].json
    assert note["ownerId"] == sandbox.user("supervisor")["extension_id"]
    assert note["body"]["extensionId"] == user["extension_id"]


def test_events_of_other_extensions_do_not_reach_an_extension_filter(
    sandbox, alice, webhook_receiver
):
    _, api = alice
    subscribe(api, webhook_receiver, [DETAILED])
    ben = sandbox.jwt_login(sandbox.user("102"))
    with sandbox.api(ben["access_token"]) as ben_api:
        set_status(ben_api, "Busy")
    set_status(api, "Busy")
    webhook_receiver.wait_for(1)
    time.sleep(0.2)
    assert [d.json["body"]["extensionId"] for d in webhook_receiver.deliveries] == [
        sandbox.user("101")["extension_id"]
    ]


@pytest.mark.parametrize(
    ("behaviour", "code"),
    [
        ({"echo_validation": False}, "SUB-520"),
        ({"validation_status": 500}, "SUB-521"),
        ({"validation_body": b"x" * 1100}, "SUB-525"),
    ],
)
def test_handshake_failures_refuse_the_subscription(
    sandbox, alice, webhook_receiver, behaviour, code
):
    _, api = alice
    webhook_receiver.set(**behaviour)
    response = subscribe(api, webhook_receiver, [DETAILED])
    assert response.status_code == 400
    assert assert_valid(response)["errors"][0]["errorCode"] == code
    assert sandbox.subscriptions() == []


def test_slow_handshake_is_not_reachable(sandbox, alice, webhook_receiver):
    _, api = alice
    sandbox.config(validation_timeout=0.3)
    webhook_receiver.set(validation_delay=0.6)
    response = subscribe(api, webhook_receiver, [DETAILED])
    assert (response.status_code, response.json()["errors"][0]["errorCode"]) == (400, "SUB-521")


def test_unreachable_address_is_refused(sandbox, alice, webhook_receiver):
    _, api = alice
    webhook_receiver.close()
    response = subscribe(api, webhook_receiver, [DETAILED])
    assert (response.status_code, response.json()["errors"][0]["errorCode"]) == (400, "SUB-521")


def test_https_is_required_when_configured(sandbox, alice, webhook_receiver):
    _, api = alice
    sandbox.config(require_https=True)
    response = subscribe(api, webhook_receiver, [DETAILED])
    assert (response.status_code, response.json()["errors"][0]["errorCode"]) == (400, "SUB-523")
    assert webhook_receiver.validations == []


def test_invalid_event_filters_are_refused_by_name(sandbox, alice, webhook_receiver):
    _, api = alice
    response = subscribe(
        api,
        webhook_receiver,
        [
            DETAILED,
            "/restapi/v1.0/account/~/bogus",
            "/restapi/v1.0/account/~/extension/~/presence?color=red",
        ],
    )
    assert response.status_code == 400
    error = assert_valid(response)["errors"][0]
    assert error["errorCode"] == "SUB-508"
    assert error["message"] == (
        "Invalid event filters: [/restapi/v1.0/account/~/bogus, "
        "/restapi/v1.0/account/~/extension/~/presence?color=red]"
    )
    assert webhook_receiver.validations == []


def test_filters_on_another_account_are_forbidden(sandbox, alice, webhook_receiver):
    _, api = alice
    response = subscribe(
        api, webhook_receiver, ["/restapi/v1.0/account/111222333/extension/1/presence"]
    )
    assert response.status_code == 403
    assert assert_valid(response)["errors"][0]["errorCode"] == "SUB-406"


@pytest.mark.parametrize(
    ("expires_in", "status"), [(315360000, 200), (315360001, 400), (0, 400), ("60", 400)]
)
def test_expires_in_bounds(sandbox, alice, webhook_receiver, expires_in, status):
    _, api = alice
    response = subscribe(api, webhook_receiver, [DETAILED], expiresIn=expires_in)
    assert response.status_code == status
    body = assert_valid(response)
    if status == 400:
        assert body["errors"][0]["parameterName"] == "expiresIn"


def test_thirty_subscriptions_per_user_and_app(sandbox, alice, webhook_receiver):
    _, api = alice
    for _ in range(30):
        assert subscribe(api, webhook_receiver, [DETAILED]).status_code == 200
    response = subscribe(api, webhook_receiver, [DETAILED])
    assert response.status_code == 403
    assert assert_valid(response)["errors"][0]["errorCode"] == "SUB-505"
    listing = assert_valid(api.get("/restapi/v1.0/subscription"))
    assert len(listing["records"]) == 30


def test_read_update_renew_and_delete(sandbox, alice, webhook_receiver):
    _, api = alice
    sub = subscribe(api, webhook_receiver, [DETAILED], expiresIn=3600).json()
    path = f"/restapi/v1.0/subscription/{sub['id']}"
    assert assert_valid(api.get(path))["id"] == sub["id"]
    sandbox.advance(600)
    updated = assert_valid(
        api.put(
            path, json={"eventFilters": ["/restapi/v1.0/account/~/presence"], "expiresIn": 7200}
        )
    )
    assert updated["eventFilters"] == ["/restapi/v1.0/account/~/presence"]
    assert updated["expiresIn"] in (7199, 7200)
    sandbox.advance(600)
    renewed = assert_valid(api.post(path + "/renew"))
    assert renewed["expiresIn"] in (7199, 7200)
    assert assert_valid(api.put(path))["expiresIn"] in (7199, 7200)
    deleted = api.delete(path)
    assert (deleted.status_code, deleted.content) == (204, b"")
    missing = api.get(path)
    assert missing.status_code == 404
    assert assert_valid(missing)["errors"][0]["errorCode"] == "CMN-102"


def test_another_users_subscription_is_not_found(sandbox, alice, webhook_receiver):
    _, api = alice
    sub = subscribe(api, webhook_receiver, [DETAILED]).json()
    ben = sandbox.jwt_login(sandbox.user("102"))
    with sandbox.api(ben["access_token"]) as ben_api:
        assert ben_api.get(f"/restapi/v1.0/subscription/{sub['id']}").status_code == 404
        assert ben_api.delete(f"/restapi/v1.0/subscription/{sub['id']}").status_code == 404
    assert len(sandbox.subscriptions()) == 1


def test_expired_subscription_stops_delivering_and_answers_sub_507(
    sandbox, alice, webhook_receiver
):
    _, api = alice
    sub = subscribe(api, webhook_receiver, [DETAILED], expiresIn=60).json()
    sandbox.advance(61)
    set_status(api, "Busy")
    response = api.get(f"/restapi/v1.0/subscription/{sub['id']}")
    assert response.status_code == 404
    assert assert_valid(response)["errors"][0]["errorCode"] == "SUB-507"
    assert api.post(f"/restapi/v1.0/subscription/{sub['id']}/renew").status_code == 404
    time.sleep(0.2)
    assert webhook_receiver.deliveries == []


def test_renewal_reminders_arrive_with_the_filter_as_subscribed(sandbox, alice, webhook_receiver):
    _, api = alice
    reminder = "/restapi/v1.0/subscription/~?threshold=20&interval=10"
    sub = subscribe(api, webhook_receiver, [DETAILED, reminder], expiresIn=60).json()
    sandbox.advance(39)
    time.sleep(0.1)
    assert webhook_receiver.deliveries == []
    sandbox.advance(2)
    first = webhook_receiver.wait_for(1)[0].json
    assert (first["event"], first["subscriptionId"]) == (reminder, sub["id"])
    assert first["body"]["id"] == sub["id"]
    sandbox.advance(10)
    webhook_receiver.wait_for(2)
    api.post(f"/restapi/v1.0/subscription/{sub['id']}/renew")
    sandbox.advance(10)
    time.sleep(0.2)
    assert len(webhook_receiver.deliveries) == 2


@pytest.mark.parametrize(
    "query",
    [
        "threshold=40&interval=10",
        "threshold=20&interval=11",
        "threshold=20",
        "threshold=x&interval=1",
    ],
)
def test_invalid_reminder_parameters_are_refused(sandbox, alice, webhook_receiver, query):
    _, api = alice
    response = subscribe(
        api, webhook_receiver, [f"/restapi/v1.0/subscription/~?{query}"], expiresIn=60
    )
    assert response.status_code == 400
    assert assert_valid(response)["errors"][0]["errorCode"] in ("SUB-516", "SUB-508")


def test_sustained_delivery_failure_blacklists_the_subscription(sandbox, alice, webhook_receiver):
    _, api = alice
    sandbox.config(blacklist_after=0.5, webhook_retry_max_backoff=0.05)
    sub = subscribe(api, webhook_receiver, [DETAILED]).json()
    webhook_receiver.set(status=500)
    set_status(api, "Busy")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        info = api.get(f"/restapi/v1.0/subscription/{sub['id']}").json()
        if info["status"] == "Blacklisted":
            break
        time.sleep(0.05)
    info = assert_valid(api.get(f"/restapi/v1.0/subscription/{sub['id']}"))
    assert info["status"] == "Blacklisted"
    assert (
        info["blacklistedData"]["reason"]
        == "Webhook responses with code: [500], reason: [Internal Server Error]"
    )
    outcomes = [d["outcome"] for d in sandbox.deliveries(subscription_id=sub["id"])]
    assert outcomes[-1] == "blacklisted"
    assert set(outcomes[:-1]) == {"failed"}
    webhook_receiver.set(status=200)
    set_status(api, "Available")
    time.sleep(0.2)
    assert webhook_receiver.deliveries == []


def test_failed_deliveries_are_retried_until_they_succeed(sandbox, alice, webhook_receiver):
    _, api = alice
    sandbox.config(webhook_retry_max_backoff=0.05)
    sub = subscribe(api, webhook_receiver, [DETAILED]).json()
    sandbox.add_fault("webhook_fail", count=2)
    set_status(api, "Busy")
    [delivery] = webhook_receiver.wait_for(1)
    records = sandbox.deliveries(subscription_id=sub["id"])
    assert [(r["outcome"], r["attempt"]) for r in records] == [
        ("failed", 1),
        ("failed", 2),
        ("delivered", 3),
    ]
    assert len({r["uuid"] for r in records}) == 1 == len({delivery.json["uuid"]})
