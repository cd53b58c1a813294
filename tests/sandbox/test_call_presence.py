"""Calls drive detailed presence (CONTRACT §6.2, the CTI tutorial's call states): the aggregated
`telephonyStatus`, `activeCalls` with the call's ids, and the extension's `sequence`."""

from tests.sandbox.calls import ALICE_DIRECT, OUTSIDE
from tests.support.openapi import assert_valid, validate_schema
from tests.support.webhooks import subscribe

DETAILED = "/restapi/v1.0/account/~/extension/~/presence?detailedTelephonyState=true"


def watch_presence(api, receiver):
    assert subscribe(api, receiver, [DETAILED]).status_code == 200


def bodies(receiver, count):
    notes = [d.json for d in receiver.wait_for(count)]
    for note in notes:
        validate_schema("DetailedExtensionPresenceEvent", note, allowed_extra={"ownerId"})
    return [n["body"] for n in notes]


def test_answered_inbound_call_rings_connects_holds_and_ends(sandbox, alice, webhook_receiver):
    user, api = alice
    watch_presence(api, webhook_receiver)
    call = sandbox.start_call(OUTSIDE, ALICE_DIRECT, from_name="Jane Customer")
    session_id = call["telephonySessionId"]
    for action in ("answer", "hold", "unhold", "hangup"):
        sandbox.drive(session_id, action)
    events = bodies(webhook_receiver, 5)
    assert [e["telephonyStatus"] for e in events] == [
        "Ringing",
        "CallConnected",
        "OnHold",
        "CallConnected",
        "NoCall",
    ]
    first = events[0]["sequence"]
    assert [e["sequence"] for e in events] == list(range(first, first + 5))
    ringing = events[0]["activeCalls"][0]
    assert {k: ringing[k] for k in ringing if k not in ("id", "startTime")} == {
        "direction": "Inbound",
        "from": OUTSIDE,
        "fromName": "Jane Customer",
        "to": ALICE_DIRECT,
        "toName": user["name"],
        "telephonyStatus": "Ringing",
        "sessionId": call["sessionId"],
        "telephonySessionId": session_id,
        "partyId": call["calleePartyId"],
        "queueCall": False,
    }
    assert [e["presenceStatus"] for e in events] == ["Busy"] * 4 + ["Available"]
    ended = events[-1]
    assert (ended["totalActiveCalls"], ended["activeCalls"][0]["terminationType"]) == (0, "final")


def test_a_second_call_ringing_over_a_connected_one(sandbox, alice, webhook_receiver):
    _, api = alice
    first = sandbox.start_call(OUTSIDE, ALICE_DIRECT)
    sandbox.drive(first["telephonySessionId"], "answer")
    watch_presence(api, webhook_receiver)
    second = sandbox.start_call("+12125550100", ALICE_DIRECT)
    [ringing] = bodies(webhook_receiver, 1)
    assert ringing["telephonyStatus"] == "Ringing"
    assert ringing["totalActiveCalls"] == 2
    assert sorted(c["telephonyStatus"] for c in ringing["activeCalls"]) == [
        "CallConnected",
        "Ringing",
    ]
    now = assert_valid(
        api.get(
            "/restapi/v1.0/account/~/extension/~/presence",
            params={"detailedTelephonyState": "true"},
        )
    )
    assert now["telephonyStatus"] == "Ringing"
    assert {c["telephonySessionId"] for c in now["activeCalls"]} == {
        first["telephonySessionId"],
        second["telephonySessionId"],
    }
    sandbox.drive(second["telephonySessionId"], "hangup")
    missed = bodies(webhook_receiver, 2)[1]
    assert (missed["telephonyStatus"], missed["totalActiveCalls"]) == ("CallConnected", 1)


def test_an_internal_caller_rings_until_the_colleague_answers(sandbox, alice, webhook_receiver):
    _, api = alice
    watch_presence(api, webhook_receiver)
    call = sandbox.start_call("101", "102")
    sandbox.drive(call["telephonySessionId"], "answer")
    sandbox.drive(call["telephonySessionId"], "hangup")
    events = bodies(webhook_receiver, 3)
    assert [e["telephonyStatus"] for e in events] == ["Ringing", "CallConnected", "NoCall"]
    assert events[0]["activeCalls"][0]["direction"] == "Outbound"


def test_voicemail_ends_the_callees_presence_call(sandbox, alice, webhook_receiver):
    _, api = alice
    watch_presence(api, webhook_receiver)
    call = sandbox.start_call(OUTSIDE, ALICE_DIRECT)
    sandbox.drive(call["telephonySessionId"], "voicemail")
    events = bodies(webhook_receiver, 2)
    assert [e["telephonyStatus"] for e in events] == ["Ringing", "NoCall"]
    assert sandbox.call(call["telephonySessionId"])["status"] == "live"


def test_an_unanswered_call_goes_to_voicemail_after_the_ring_time(sandbox):
    call = sandbox.start_call(OUTSIDE, ALICE_DIRECT, voicemail_s=10)
    sandbox.advance(19)
    assert sandbox.call(call["telephonySessionId"])["parties"][1]["status"] == "Proceeding"
    sandbox.advance(1)
    view = sandbox.call(call["telephonySessionId"])
    assert (view["parties"][1]["status"], view["parties"][1]["missedCall"]) == ("VoiceMail", True)
    sandbox.advance(10)
    assert sandbox.call(call["telephonySessionId"])["status"] == "ended"
