"""RingOut (CONTRACT §9): create, poll as the legs are answered, cancel before the first leg
connects (and not after), the `/ringout` alias, and the call it makes (events, call log)."""

import pytest

from tests.sandbox.conftest import login_api
from tests.support.openapi import assert_valid, validate_response
from tests.support.webhooks import subscribe

RING_OUT = "/restapi/v1.0/account/~/extension/~/ring-out"
ALICE_MOBILE = "+14155550111"
CUSTOMER = "+12125550123"


def create(api, path=RING_OUT, **body):
    payload = {"from": {"phoneNumber": ALICE_MOBILE}, "to": {"phoneNumber": CUSTOMER}, **body}
    return api.post(path, json=payload)


def status(api, ringout, path=RING_OUT):
    response = api.get(f"{path}/{ringout['id']}")
    if path == RING_OUT:
        return assert_valid(response)["status"]
    body = response.json()
    validate_response("GET", f"{RING_OUT}/{ringout['id']}", response.status_code, body)
    return body["status"]


def session_of(sandbox, ringout):
    [call] = [c for c in sandbox.calls(include_ended=True) if c["ringoutId"] == ringout["id"]]
    return call


def test_ringout_progresses_as_the_legs_answer(sandbox, alice_api):
    response = create(alice_api, playPrompt=False)
    ringout = assert_valid(response)
    alice = sandbox.user("101")
    account = sandbox.credentials()["account_id"]
    assert ringout == {
        "id": ringout["id"],
        "uri": f"{sandbox.url}/restapi/v1.0/account/{account}/extension/{alice['extension_id']}"
        f"/ring-out/{ringout['id']}",
        "status": {
            "callStatus": "InProgress",
            "callerStatus": "InProgress",
            "calleeStatus": "InProgress",
        },
    }
    call = session_of(sandbox, ringout)
    assert call["origin"] == "RingOut"
    assert [(p["role"], p["status"]) for p in call["parties"]] == [("ringout-caller", "Proceeding")]

    sandbox.drive(call["telephonySessionId"], "answer")
    assert status(alice_api, ringout) == {
        "callStatus": "InProgress",
        "callerStatus": "Success",
        "calleeStatus": "InProgress",
    }
    sandbox.drive(call["telephonySessionId"], "answer")
    assert status(alice_api, ringout) == {
        "callStatus": "Success",
        "callerStatus": "Success",
        "calleeStatus": "Success",
    }
    sandbox.drive(call["telephonySessionId"], "hangup", side="callee")
    assert status(alice_api, ringout) == {
        "callStatus": "Success",
        "callerStatus": "Finished",
        "calleeStatus": "Finished",
    }
    [entry] = sandbox.outbox(kind="ringout")
    assert entry["extension_id"] == alice["extension_id"]
    assert (entry["payload"]["id"], entry["payload"]["to"]) == (
        ringout["id"],
        {"phoneNumber": CUSTOMER},
    )


def test_ringout_events_presence_and_call_log(sandbox, alice, webhook_receiver):
    user, api = alice
    sandbox.config(rate_limits_enabled=False)
    assert (
        subscribe(
            api,
            webhook_receiver,
            [
                "/restapi/v1.0/account/~/telephony/sessions",
                "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true",
            ],
        ).status_code
        == 200
    )
    ringout = assert_valid(create(api))
    call = session_of(sandbox, ringout)
    sandbox.drive(call["telephonySessionId"], "answer")
    sandbox.drive(call["telephonySessionId"], "answer")
    sandbox.drive(call["telephonySessionId"], "hangup", side="caller")
    notes = [d.json for d in webhook_receiver.wait_for(9)]
    telephony = [n["body"] for n in notes if n["event"].endswith("/telephony/sessions")]
    assert [
        (b["parties"][0]["id"][-2:], b["parties"][0]["status"]["code"], b["origin"]["type"])
        for b in telephony
    ] == [
        ("-1", "Proceeding", "RingOut"),
        ("-1", "Answered", "RingOut"),
        ("-2", "Proceeding", "RingOut"),
        ("-2", "Answered", "RingOut"),
        ("-1", "Disconnected", "RingOut"),
        ("-2", "Disconnected", "RingOut"),
    ]
    assert telephony[0]["parties"][0]["to"]["phoneNumber"] == ALICE_MOBILE
    presence = [n["body"] for n in notes if "/presence" in n["event"]]
    assert [(p["telephonyStatus"], p["activeCalls"][-1]["direction"]) for p in presence] == [
        ("Ringing", "Outbound"),
        ("CallConnected", "Outbound"),
        ("NoCall", "Outbound"),
    ]
    [record] = assert_valid(
        api.get("/restapi/v1.0/account/~/extension/~/call-log", params={"view": "Detailed"})
    )["records"]
    assert (record["direction"], record["action"], record["result"]) == (
        "Outbound",
        "RingOut Web",
        "Call connected",
    )
    assert [leg["legType"] for leg in record["legs"]] == [
        "RingOutWebToCaller",
        "RingOutWebToSubscriber",
    ]
    assert record["extension"]["id"] == int(user["extension_id"])


def test_cancel_before_the_first_leg_connects(sandbox, alice_api):
    ringout = assert_valid(create(alice_api))
    response = alice_api.delete(f"{RING_OUT}/{ringout['id']}")
    assert (response.status_code, response.content) == (204, b"")
    assert status(alice_api, ringout) == {
        "callStatus": "CannotReach",
        "callerStatus": "Rejected",
        "calleeStatus": "Rejected",
    }
    call = session_of(sandbox, ringout)
    assert (call["status"], call["parties"][0]["reason"]) == ("ended", "Cancelled")
    [cancel] = sandbox.outbox(kind="ringout_cancel")
    assert cancel["payload"] == {"id": ringout["id"], "cancelled": True}


def test_cancel_after_the_first_leg_connects_does_not_end_the_call(sandbox, alice_api):
    ringout = assert_valid(create(alice_api))
    call = session_of(sandbox, ringout)
    sandbox.drive(call["telephonySessionId"], "answer")
    assert alice_api.delete(f"{RING_OUT}/{ringout['id']}").status_code == 204
    assert sandbox.call(call["telephonySessionId"])["status"] == "live"
    assert status(alice_api, ringout)["callerStatus"] == "Success"
    [cancel] = sandbox.outbox(kind="ringout_cancel")
    assert cancel["payload"] == {"id": ringout["id"], "cancelled": False}


def test_the_ringout_alias_path(sandbox, alice_api):
    alias = "/restapi/v1.0/account/~/extension/~/ringout"
    response = create(alice_api, path=alias)
    ringout = response.json()
    validate_response("POST", RING_OUT, response.status_code, ringout)
    assert status(alice_api, ringout, path=alias)["callStatus"] == "InProgress"
    assert alice_api.delete(f"{alias}/{ringout['id']}").status_code == 204
    assert status(alice_api, ringout)["callerStatus"] == "Rejected"


def test_unanswered_legs(sandbox, alice_api):
    nobody_home = assert_valid(create(alice_api))
    sandbox.advance(20)
    assert status(alice_api, nobody_home) == {
        "callStatus": "CannotReach",
        "callerStatus": "NoAnswer",
        "calleeStatus": "Rejected",
    }
    callee_away = assert_valid(create(alice_api))
    sandbox.drive(session_of(sandbox, callee_away)["telephonySessionId"], "answer")
    sandbox.advance(60)
    assert status(alice_api, callee_away) == {
        "callStatus": "CannotReach",
        "callerStatus": "Finished",
        "calleeStatus": "NoAnswer",
    }


def test_ringout_to_a_colleague_rings_their_extension(sandbox, alice_api):
    ringout = assert_valid(create(alice_api, to={"phoneNumber": "102"}))
    call = session_of(sandbox, ringout)
    sandbox.drive(call["telephonySessionId"], "answer")
    leg = sandbox.call(call["telephonySessionId"])["parties"][1]
    assert (leg["role"], leg["status"], leg["extensionNumber"]) == (
        "ringout-callee",
        "Proceeding",
        "102",
    )


@pytest.mark.parametrize(
    ("body", "parameter"),
    [
        ({"to": None}, "to"),
        ({"to": {"phoneNumber": "not a number"}}, "to.phoneNumber"),
        ({"from": {"forwardingNumberId": "123"}}, "from.forwardingNumberId"),
        ({"from": {"phoneNumber": "12"}}, "from.phoneNumber"),
        ({"callerId": {"phoneNumber": "+19999999999"}}, "callerId.phoneNumber"),
    ],
)
def test_invalid_ringout_requests(sandbox, alice_api, body, parameter):
    response = create(alice_api, **body)
    assert response.status_code == 400
    assert assert_valid(response)["errors"][0]["parameterName"] == parameter
    assert sandbox.outbox(kind="ringout") == []


def test_ringouts_belong_to_their_extension(sandbox, alice_api):
    ben = sandbox.user("102")
    refused = alice_api.post(
        f"/restapi/v1.0/account/~/extension/{ben['extension_id']}/ring-out",
        json={"from": {"phoneNumber": ALICE_MOBILE}, "to": {"phoneNumber": CUSTOMER}},
    )
    assert refused.status_code == 403
    ringout = assert_valid(create(alice_api))
    _, ben_api = login_api(sandbox, "102")
    with ben_api:
        assert ben_api.get(f"{RING_OUT}/{ringout['id']}").status_code == 404
    assert alice_api.get(f"{RING_OUT}/12345").status_code == 404
