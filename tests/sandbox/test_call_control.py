"""The Call Control API (CONTRACT §12): every action, its events, its 409/404/403 refusals, and the
outbox. Every JSON body is validated against the spec."""

import pytest

from tests.sandbox.calls import ACCOUNT_SESSIONS, OUTSIDE, SESSIONS, telephony_notes
from tests.sandbox.conftest import login_api
from tests.support.openapi import assert_valid
from tests.support.webhooks import subscribe


def party_url(call, party_id=None):
    party_id = party_id or call["calleePartyId"]
    return f"{SESSIONS}/{call['telephonySessionId']}/parties/{party_id}"


def statuses(sandbox, call):
    return [
        (p["role"], p["status"], p["reason"])
        for p in sandbox.call(call["telephonySessionId"])["parties"]
    ]


def ringing_alice(sandbox):
    """An outside caller ringing Alice (101); her leg is the callee."""
    return sandbox.start_call(OUTSIDE, "101", from_name="Jane Customer")


def talking_to_alice(sandbox, alice_api):
    call = ringing_alice(sandbox)
    response = alice_api.post(party_url(call) + "/answer", json={"deviceId": "dev-1"})
    assert response.status_code == 200, response.text
    return call


def error_code(response):
    return assert_valid(response)["errors"][0]["errorCode"]


@pytest.fixture
def ben_api(sandbox):
    _, api = login_api(sandbox, "102")
    with api:
        yield api


def test_read_session_shows_every_party(sandbox, alice_api):
    call = ringing_alice(sandbox)
    body = assert_valid(alice_api.get(f"{SESSIONS}/{call['telephonySessionId']}"))
    assert body["id"] == call["telephonySessionId"]
    assert body["origin"] == {"type": "Call"}
    assert [(p["id"], p["direction"], p["status"]["code"]) for p in body["parties"]] == [
        (call["callerPartyId"], "Outbound", "Answered"),
        (call["calleePartyId"], "Inbound", "Proceeding"),
    ]
    alice_leg = body["parties"][1]
    assert alice_leg["extensionId"] == sandbox.user("101")["extension_id"]
    assert alice_leg["owner"]["extensionId"] == alice_leg["extensionId"]
    assert alice_leg["from"] == {"phoneNumber": OUTSIDE, "name": "Jane Customer"}


def test_another_agents_call_is_forbidden_and_unknown_ids_are_404(sandbox, alice_api, ben_api):
    call = ringing_alice(sandbox)
    assert error_code(ben_api.get(f"{SESSIONS}/{call['telephonySessionId']}")) == "CMN-408"
    refused = ben_api.post(party_url(call) + "/answer", json={"deviceId": "d"})
    assert refused.status_code == 403
    assert statuses(sandbox, call)[1] == ("callee", "Proceeding", None)
    missing = alice_api.get(f"{SESSIONS}/s-0000")
    assert missing.status_code == 404
    assert assert_valid(missing)["errors"][0] == {
        "errorCode": "CMN-102",
        "message": "Resource for parameter [telephonySessionId] is not found",
        "parameterName": "telephonySessionId",
        "parameterValue": "s-0000",
    }
    assert error_code(alice_api.get(party_url(call, "p-nope-9"))) == "CMN-102"
    assert sandbox.outbox(kind="call_control") == []


def test_an_admin_may_control_anyones_party(sandbox, admin_api):
    call = ringing_alice(sandbox)
    body = assert_valid(admin_api.post(party_url(call) + "/answer", json={"deviceId": "d"}))
    assert body["status"]["code"] == "Answered"


def test_answer_connects_and_a_second_answer_is_409(sandbox, alice_api):
    call = ringing_alice(sandbox)
    missing = alice_api.post(party_url(call) + "/answer", json={})
    assert missing.status_code == 400
    assert assert_valid(missing)["errors"][0]["parameterName"] == "deviceId"
    assert statuses(sandbox, call)[1] == ("callee", "Proceeding", None)

    body = assert_valid(alice_api.post(party_url(call) + "/answer", json={"deviceId": "dev-1"}))
    assert (body["id"], body["status"]["code"], body["direction"]) == (
        call["calleePartyId"],
        "Answered",
        "Inbound",
    )
    again = alice_api.post(party_url(call) + "/answer", json={"deviceId": "dev-1"})
    assert again.status_code == 409
    assert assert_valid(again)["errors"] == [
        {
            "errorCode": "TAS-101",
            "message": "Operation [answer] is not allowed in the call party status [Answered]",
        }
    ]
    [entry] = sandbox.outbox(kind="call_control")
    assert entry["payload"] == {
        "action": "answer",
        "telephonySessionId": call["telephonySessionId"],
        "partyId": call["calleePartyId"],
        "body": {"deviceId": "dev-1"},
    }


def test_hold_and_unhold_with_their_conflicts(sandbox, alice_api):
    ringing = ringing_alice(sandbox)
    assert alice_api.post(party_url(ringing) + "/hold").status_code == 409
    call = talking_to_alice(sandbox, alice_api)
    assert error_code(alice_api.post(party_url(call) + "/unhold")) == "TAS-101"
    bad = alice_api.post(party_url(call) + "/hold", json={"proto": "Carrier pigeon"})
    assert bad.status_code == 400
    held = assert_valid(alice_api.post(party_url(call) + "/hold", json={"proto": "Auto"}))
    assert held["status"]["code"] == "Hold"
    assert alice_api.post(party_url(call) + "/hold").status_code == 409
    resumed = assert_valid(alice_api.post(party_url(call) + "/unhold"))
    assert resumed["status"]["code"] == "Answered"
    actions = [e["payload"]["action"] for e in sandbox.outbox(kind="call_control")]
    assert actions == ["answer", "hold", "unhold"]


def test_reject_sends_the_caller_to_voicemail(sandbox, alice_api):
    call = ringing_alice(sandbox)
    response = alice_api.post(party_url(call) + "/reject")
    assert (response.status_code, response.content) == (204, b"")
    assert statuses(sandbox, call) == [("caller", "Answered", None), ("callee", "VoiceMail", None)]
    assert sandbox.call(call["telephonySessionId"])["parties"][1]["missedCall"] is True
    sandbox.advance(20)
    assert sandbox.call(call["telephonySessionId"])["status"] == "ended"
    assert alice_api.post(party_url(call) + "/reject").status_code == 404


def test_reject_of_an_answered_call_is_409(sandbox, alice_api):
    call = talking_to_alice(sandbox, alice_api)
    assert error_code(alice_api.post(party_url(call) + "/reject")) == "TAS-101"


def test_ignore_needs_a_device_and_a_queue_call(sandbox, alice_api):
    call = ringing_alice(sandbox)
    assert error_code(alice_api.post(party_url(call) + "/ignore", json={})) == "CMN-100"
    refused = alice_api.post(party_url(call) + "/ignore", json={"deviceId": "d"})
    assert refused.status_code == 400
    assert statuses(sandbox, call)[1] == ("callee", "Proceeding", None)


def test_forward_rings_the_colleague_instead(sandbox, alice_api):
    call = ringing_alice(sandbox)
    body = assert_valid(
        alice_api.post(party_url(call) + "/forward", json={"extensionNumber": "102"})
    )
    assert (body["id"], body["status"]["code"], body["status"]["reason"]) == (
        call["calleePartyId"],
        "Disconnected",
        "BlindTransfer",
    )
    view = sandbox.call(call["telephonySessionId"])
    ben_leg = view["parties"][2]
    assert (ben_leg["role"], ben_leg["status"], ben_leg["extensionNumber"]) == (
        "target",
        "Proceeding",
        "102",
    )
    sandbox.drive(call["telephonySessionId"], "answer")
    assert statuses(sandbox, call)[2] == ("target", "Answered", None)


def test_forward_refusals(sandbox, alice_api):
    call = ringing_alice(sandbox)
    both = alice_api.post(
        party_url(call) + "/forward", json={"extensionNumber": "102", "phoneNumber": OUTSIDE}
    )
    assert error_code(both) == "CMN-101"
    nobody = alice_api.post(party_url(call) + "/forward", json={"extensionNumber": "999"})
    assert (nobody.status_code, error_code(nobody)) == (404, "CMN-102")
    assert error_code(alice_api.post(party_url(call) + "/forward", json={})) == "CMN-100"
    sandbox.drive(call["telephonySessionId"], "answer")
    late = alice_api.post(party_url(call) + "/forward", json={"extensionNumber": "102"})
    assert late.status_code == 409
    assert len(sandbox.call(call["telephonySessionId"])["parties"]) == 2


def test_blind_transfer_to_a_number_emits_the_transfer_events(
    sandbox, alice, webhook_receiver, admin_api
):
    _, alice_api = alice
    assert (
        subscribe(
            admin_api, webhook_receiver, ["/restapi/v1.0/account/~/telephony/sessions"]
        ).status_code
        == 200
    )
    call = talking_to_alice(sandbox, alice_api)
    body = assert_valid(
        alice_api.post(party_url(call) + "/transfer", json={"phoneNumber": "+12125550199"})
    )
    assert (body["status"]["code"], body["status"]["reason"]) == ("Disconnected", "BlindTransfer")
    notes = [n["body"] for n in telephony_notes(webhook_receiver, 7)]
    tail = [
        (n["parties"][0]["id"][-2:], n["parties"][0]["status"]["code"], n["parties"][0]["to"])
        for n in notes[-2:]
    ]
    assert tail == [
        ("-2", "Disconnected", tail[0][2]),
        ("-3", "Proceeding", {"phoneNumber": "+12125550199"}),
    ]
    assert notes[-2]["parties"][0]["status"]["reason"] == "BlindTransfer"
    assert notes[-1]["parties"][0]["from"] == {"phoneNumber": OUTSIDE, "name": "Jane Customer"}
    sandbox.drive(call["telephonySessionId"], "answer")
    assert statuses(sandbox, call) == [
        ("caller", "Answered", None),
        ("callee", "Disconnected", "BlindTransfer"),
        ("target", "Answered", None),
    ]


def test_transfer_to_an_extension_id_and_to_voicemail(sandbox, alice_api):
    ben = sandbox.user("102")
    call = talking_to_alice(sandbox, alice_api)
    assert_valid(
        alice_api.post(party_url(call) + "/transfer", json={"extensionId": ben["extension_id"]})
    )
    assert statuses(sandbox, call)[2] == ("target", "Proceeding", None)

    second = talking_to_alice(sandbox, alice_api)
    assert_valid(
        alice_api.post(party_url(second) + "/transfer", json={"voicemail": ben["extension_id"]})
    )
    assert statuses(sandbox, second)[2] == ("target", "VoiceMail", None)


def test_transfer_of_a_ringing_call_is_409(sandbox, alice_api):
    call = ringing_alice(sandbox)
    refused = alice_api.post(party_url(call) + "/transfer", json={"phoneNumber": "+12125550199"})
    assert refused.status_code == 409
    assert len(sandbox.call(call["telephonySessionId"])["parties"]) == 2


def test_transfer_to_a_park_orbit_parks_the_call(sandbox, alice_api):
    call = talking_to_alice(sandbox, alice_api)
    body = assert_valid(alice_api.post(party_url(call) + "/transfer", json={"parkOrbit": "*805"}))
    assert (body["status"]["code"], body["park"]) == ("Parked", {"id": "*805"})
    bad = alice_api.post(
        party_url(talking_to_alice(sandbox, alice_api)) + "/transfer", json={"parkOrbit": "*805"}
    )
    assert bad.status_code == 404


def test_park_then_a_colleague_picks_up(sandbox, alice_api, ben_api, admin_api, webhook_receiver):
    assert subscribe(admin_api, webhook_receiver, [ACCOUNT_SESSIONS]).status_code == 200
    call = talking_to_alice(sandbox, alice_api)
    parked = alice_api.post(party_url(call) + "/park")
    body = assert_valid(parked)
    assert parked.status_code == 201
    assert (body["status"]["code"], body["park"], body["status"]["parkData"]) == (
        "Parked",
        {"id": "*801"},
        "*801",
    )
    presence = alice_api.get(
        "/restapi/v1.0/account/~/extension/~/presence", params={"detailedTelephonyState": "true"}
    ).json()
    assert presence["telephonyStatus"] == "ParkedCall"

    picked = ben_api.post(party_url(call) + "/pickup", json={"deviceId": "ben-phone"})
    leg = assert_valid(picked)
    assert picked.status_code == 201
    assert (leg["extensionId"], leg["status"]["code"], leg["to"]["deviceId"]) == (
        sandbox.user("102")["extension_id"],
        "Answered",
        "ben-phone",
    )
    view = sandbox.call(call["telephonySessionId"])["parties"]
    assert [(p["status"], p["reason"]) for p in view] == [
        ("Answered", None),
        ("Gone", "Pickup"),
        ("Answered", None),
    ]
    session = alice_api.get(f"{SESSIONS}/{call['telephonySessionId']}").json()
    assert session["parties"][1]["status"]["peerId"] == {
        "sessionId": call["sessionId"],
        "telephonySessionId": call["telephonySessionId"],
        "partyId": leg["id"],
    }
    again = ben_api.post(party_url(call) + "/pickup", json={"deviceId": "ben-phone"})
    assert again.status_code == 409
    notes = telephony_notes(webhook_receiver, 9)
    parked, picked_leg, gone, answered = (n["body"]["parties"][0] for n in notes[5:9])
    assert (parked["status"]["code"], parked["park"], parked["status"]["parkData"]) == (
        "Parked",
        {"id": "*801"},
        "*801",
    )
    assert (picked_leg["status"]["code"], gone["status"]["code"], answered["status"]["code"]) == (
        "Setup",
        "Gone",
        "Answered",
    )
    assert gone["status"]["peerId"]["partyId"] == picked_leg["id"] == answered["id"]


def test_flip_moves_the_call_to_another_phone(sandbox, alice_api):
    call = talking_to_alice(sandbox, alice_api)
    assert error_code(alice_api.post(party_url(call) + "/flip", json={})) == "CMN-100"
    assert error_code(alice_api.post(party_url(call) + "/flip", json={"callFlipId": "x"})) == (
        "CMN-101"
    )
    flipped = alice_api.post(party_url(call) + "/flip", json={"callFlipId": "*2"})
    assert (flipped.status_code, flipped.content) == (200, b"")
    assert statuses(sandbox, call) == [
        ("caller", "Answered", None),
        ("callee", "Disconnected", "CallFlip"),
        ("flip", "Answered", None),
    ]


def test_bridge_joins_two_calls_and_leaves_them(sandbox, alice_api):
    customer = talking_to_alice(sandbox, alice_api)
    alice_api.post(party_url(customer) + "/hold")
    colleague = sandbox.start_call("101", "102")
    sandbox.drive(colleague["telephonySessionId"], "answer")

    body = assert_valid(
        alice_api.post(
            party_url(customer) + "/bridge",
            json={
                "telephonySessionId": colleague["telephonySessionId"],
                "partyId": colleague["callerPartyId"],
            },
        )
    )
    assert (body["status"]["code"], body["status"]["reason"]) == ("Gone", "AttendedTransfer")
    assert body["status"]["peerId"] == {
        "sessionId": colleague["sessionId"],
        "telephonySessionId": colleague["telephonySessionId"],
        "partyId": colleague["calleePartyId"],
    }
    assert statuses(sandbox, colleague)[0] == ("caller", "Gone", "AttendedTransfer")
    sandbox.drive(colleague["telephonySessionId"], "hangup", side="callee")
    assert sandbox.call(customer["telephonySessionId"])["status"] == "ended"
    assert sandbox.call(colleague["telephonySessionId"])["status"] == "ended"


def test_bridge_refusals(sandbox, alice_api):
    call = talking_to_alice(sandbox, alice_api)
    unknown = alice_api.post(
        party_url(call) + "/bridge", json={"telephonySessionId": "s-none", "partyId": "p-none-1"}
    )
    assert (unknown.status_code, error_code(unknown)) == (404, "CMN-102")
    same = alice_api.post(
        party_url(call) + "/bridge",
        json={"telephonySessionId": call["telephonySessionId"], "partyId": call["callerPartyId"]},
    )
    assert same.status_code == 400


def test_reply_with_text_ends_the_call(sandbox, alice_api):
    call = ringing_alice(sandbox)
    body = assert_valid(
        alice_api.post(party_url(call) + "/reply", json={"replyWithText": "In a meeting"})
    )
    assert (body["status"]["code"], body["status"]["reason"]) == ("Disconnected", "CallReplied")
    assert sandbox.call(call["telephonySessionId"])["status"] == "ended"
    [reply] = sandbox.outbox(kind="call_reply")
    assert reply["payload"]["text"] == "In a meeting"
    record = alice_api.get("/restapi/v1.0/account/~/extension/~/call-log").json()["records"][0]
    assert record["result"] == "Reply"


def test_reply_with_a_pattern(sandbox, alice_api):
    call = ringing_alice(sandbox)
    no_time = alice_api.post(
        party_url(call) + "/reply", json={"replyWithPattern": {"pattern": "WillCallYouBack"}}
    )
    assert assert_valid(no_time)["errors"][0]["parameterName"] == "replyWithPattern.time"
    bad = alice_api.post(party_url(call) + "/reply", json={"replyWithPattern": {"pattern": "Bye"}})
    assert bad.status_code == 400
    assert_valid(
        alice_api.post(
            party_url(call) + "/reply",
            json={
                "replyWithPattern": {"pattern": "WillCallYouBack", "time": 10, "timeUnit": "Minute"}
            },
        )
    )
    [reply] = sandbox.outbox(kind="call_reply")
    assert reply["payload"]["text"] == (
        "Sorry, I can't talk right now. I will call you back in 10 minutes."
    )


def test_reply_to_an_answered_call_is_409(sandbox, alice_api):
    call = talking_to_alice(sandbox, alice_api)
    refused = alice_api.post(party_url(call) + "/reply", json={"replyWithText": "x"})
    assert refused.status_code == 409
    assert sandbox.outbox(kind="call_reply") == []


def test_mute_accepts_both_body_forms(sandbox, alice_api):
    ringing = ringing_alice(sandbox)
    assert alice_api.patch(party_url(ringing), json={"muted": True}).status_code == 409
    call = talking_to_alice(sandbox, alice_api)
    muted = assert_valid(alice_api.patch(party_url(call), json={"muted": True}))
    assert muted["muted"] is True
    unmuted = assert_valid(alice_api.patch(party_url(call), json={"party": {"muted": False}}))
    assert unmuted["muted"] is False
    assert error_code(alice_api.patch(party_url(call), json={})) == "CMN-100"
    assert error_code(alice_api.patch(party_url(call), json={"muted": "yes"})) == "CMN-101"


def test_recording_start_pause_resume(sandbox, alice, webhook_receiver):
    _, alice_api = alice
    subscribe(
        alice_api,
        webhook_receiver,
        ["/restapi/v1.0/account/~/extension/~/telephony/sessions?withRecordings=true"],
    )
    ringing = ringing_alice(sandbox)
    assert alice_api.post(party_url(ringing) + "/recordings").status_code == 409
    call = talking_to_alice(sandbox, alice_api)
    started = alice_api.post(party_url(call) + "/recordings")
    recording = assert_valid(started)
    assert started.status_code == 201
    assert recording["active"] is True
    assert alice_api.post(party_url(call) + "/recordings").status_code == 409
    url = party_url(call) + f"/recordings/{recording['id']}"
    paused = assert_valid(alice_api.patch(url, json={"active": False}))
    assert paused == {"id": recording["id"], "active": False}
    assert assert_valid(alice_api.patch(url, json={"active": True}))["active"] is True
    assert error_code(alice_api.patch(url, json={})) == "CMN-100"
    assert (
        alice_api.patch(party_url(call) + "/recordings/123", json={"active": True}).status_code
        == 404
    )
    notes = [n["body"]["parties"][0] for n in telephony_notes(webhook_receiver, 3)]
    assert [n["recordings"] for n in notes] == [
        [{"id": recording["id"], "active": True}],
        [{"id": recording["id"], "active": False}],
        [{"id": recording["id"], "active": True}],
    ]


def test_delete_party_and_delete_session(sandbox, alice_api):
    call = talking_to_alice(sandbox, alice_api)
    response = alice_api.delete(party_url(call))
    assert (response.status_code, response.content) == (204, b"")
    assert sandbox.call(call["telephonySessionId"])["status"] == "ended"
    assert alice_api.delete(party_url(call)).status_code == 404

    second = talking_to_alice(sandbox, alice_api)
    assert alice_api.delete(f"{SESSIONS}/{second['telephonySessionId']}").status_code == 204
    assert [(p["status"]) for p in sandbox.call(second["telephonySessionId"])["parties"]] == [
        "Disconnected",
        "Disconnected",
    ]
    actions = [e["payload"]["action"] for e in sandbox.outbox(kind="call_control")]
    assert actions == ["answer", "drop_party", "answer", "drop"]


def test_delete_someone_elses_session_is_forbidden(sandbox, alice_api, ben_api):
    call = talking_to_alice(sandbox, alice_api)
    assert ben_api.delete(f"{SESSIONS}/{call['telephonySessionId']}").status_code == 403
    assert sandbox.call(call["telephonySessionId"])["status"] == "live"


def test_call_out_places_a_call_from_the_device(sandbox, alice_api):
    response = alice_api.post(
        "/restapi/v1.0/account/~/telephony/call-out",
        json={"from": {"deviceId": "alice-desk"}, "to": {"phoneNumber": OUTSIDE}},
    )
    body = assert_valid(response)
    assert response.status_code == 201
    session = body["session"]
    assert session["origin"] == {"type": "CallOut"}
    assert [(p["direction"], p["status"]["code"]) for p in session["parties"]] == [
        ("Outbound", "Proceeding"),
        ("Inbound", "Proceeding"),
    ]
    assert session["parties"][0]["from"]["deviceId"] == "alice-desk"
    [entry] = sandbox.outbox(kind="call_out")
    assert entry["payload"]["telephonySessionId"] == session["id"]
    missing = alice_api.post(
        "/restapi/v1.0/account/~/telephony/call-out", json={"to": {"phoneNumber": OUTSIDE}}
    )
    assert missing.status_code == 400
    assert len(sandbox.outbox(kind="call_out")) == 1
