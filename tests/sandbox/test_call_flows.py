"""Calls driven through the control API produce the telephony event streams RingCentral records
(tests/data/ringcentral/events/recorded/): the same (sequence, party, status) steps, the same
envelope and party shapes, the same resolved `event` paths (CONTRACT §6.1)."""

import pytest

from tests.sandbox.calls import ACCOUNT_SESSIONS, steps, validate_event
from tests.support.reference import recorded_stream
from tests.support.webhooks import subscribe

OUTSIDE = "+14083388064"  # the recordings' outside number


def shape(note):
    """Which keys the envelope, body, party, from/to and status have, and whose path it is."""
    body = note["body"]
    [party] = body["parties"]
    return {
        "envelope": sorted(note),
        "body": sorted(body),
        "party": sorted(party),
        "to": sorted(party["to"]),
        "from": sorted(party["from"]),
        "status": sorted(party["status"]),
        "path": "extension" if "/extension/" in note["event"] else "account",
    }


@pytest.fixture
def account_events(sandbox, admin_api, webhook_receiver):
    """The admin watches the whole account's telephony sessions."""
    assert subscribe(admin_api, webhook_receiver, [ACCOUNT_SESSIONS]).status_code == 200
    return webhook_receiver


def compare_with_recording(receiver, name):
    recorded = recorded_stream(name)
    ours = [d.json for d in receiver.wait_for(len(recorded))]
    assert steps(ours) == steps(recorded)
    assert [shape(n) for n in ours] == [shape(n) for n in recorded]
    for note in ours:
        validate_event(note)
    return ours


@pytest.mark.parametrize(
    "name", ["PSTN-RingCentral-DataStreams", "RingCentral-PSTN", "RingCentral-RingCentral"]
)
def test_recorded_streams_differ_from_the_spec_only_where_spec_view_says(name):
    for note in recorded_stream(name):
        validate_event(note)


def test_outside_caller_through_the_ivr_matches_the_recording(sandbox, account_events):
    main = sandbox.credentials()["main_number"]
    call = sandbox.start_call(OUTSIDE, main, from_name="DIBYENDU ROY", ivr_choice="101", ivr_s=0)
    session_id = call["telephonySessionId"]
    assert [p["role"] for p in call["parties"]] == ["caller", "ivr", "callee"]
    sandbox.drive(session_id, "answer")
    sandbox.drive(session_id, "hold")
    sandbox.drive(session_id, "unhold")
    ended = sandbox.drive(session_id, "hangup", side="callee")
    assert ended["status"] == "ended"

    notes = compare_with_recording(account_events, "PSTN-RingCentral-DataStreams")
    alice = sandbox.user("101")
    ivr = next(e for e in sandbox.credentials()["extensions"] if e["type"] == "IvrMenu")
    account = sandbox.credentials()["account_id"]
    assert [n["event"] for n in notes[:3]] == [
        f"/restapi/v1.0/account/{account}/telephony/sessions",
        f"/restapi/v1.0/account/{account}/extension/{ivr['extension_id']}/telephony/sessions",
        f"/restapi/v1.0/account/{account}/telephony/sessions",
    ]
    user_leg = notes[4]["body"]["parties"][0]
    assert user_leg["extensionId"] == alice["extension_id"]
    assert user_leg["to"] == {
        "phoneNumber": main,
        "name": alice["name"],
        "extensionId": alice["extension_id"],
    }
    assert user_leg["from"] == {"phoneNumber": OUTSIDE, "name": "DIBYENDU ROY"}
    assert {n["body"]["telephonySessionId"] for n in notes} == {session_id}
    assert {n["body"]["sessionId"] for n in notes} == {call["sessionId"]}
    assert {n["body"]["origin"]["type"] for n in notes} == {"Call"}


def test_user_calling_outside_matches_the_recording(sandbox, account_events):
    call = sandbox.start_call("101", OUTSIDE)
    session_id = call["telephonySessionId"]
    for action in ("answer", "hold", "unhold", "hangup"):
        sandbox.drive(session_id, action)

    notes = compare_with_recording(account_events, "RingCentral-PSTN")
    alice = sandbox.user("101")
    first = notes[0]["body"]["parties"][0]
    assert first["from"]["phoneNumber"] == alice["phone_numbers"][0]["phone_number"]
    assert first["to"] == {"phoneNumber": OUTSIDE}
    outside = notes[1]["body"]["parties"][0]
    assert "extensionId" not in outside
    assert outside["from"] == {
        "phoneNumber": alice["phone_numbers"][0]["phone_number"],
        "name": alice["name"],
        "extensionId": alice["extension_id"],
    }


def test_user_calling_a_colleague_matches_the_recording(sandbox, account_events):
    call = sandbox.start_call("104", "101")
    session_id = call["telephonySessionId"]
    sandbox.drive(session_id, "answer")
    sandbox.drive(session_id, "hold", side="caller")
    sandbox.drive(session_id, "unhold", side="caller")
    sandbox.drive(session_id, "hangup")

    notes = compare_with_recording(account_events, "RingCentral-RingCentral")
    callee = notes[1]["body"]["parties"][0]
    assert callee["from"]["phoneNumber"] == "104"
    assert callee["to"]["phoneNumber"] == "101"


def test_notification_uuids_are_numeric_strings_as_recorded(sandbox, account_events):
    """Every recorded and sampled telephony notification has a numeric `uuid` string
    ("4654793329359724763"), not the RFC 4122 form presence and message events use."""
    assert all(n["uuid"].isdigit() for n in recorded_stream("RingCentral-PSTN"))
    call = sandbox.start_call("101", OUTSIDE)
    sandbox.drive(call["telephonySessionId"], "answer")
    uuids = [d.json["uuid"] for d in account_events.wait_for(5)]
    assert all(isinstance(u, str) and u.isdigit() and len(u) <= 19 for u in uuids), uuids
    assert len(set(uuids)) == len(uuids)


def test_ivr_routes_after_the_menu_delay(sandbox, account_events):
    main = sandbox.credentials()["main_number"]
    call = sandbox.start_call(OUTSIDE, main, ivr_choice="102", ivr_s=6)
    assert [p["role"] for p in call["parties"]] == ["caller", "ivr"]
    assert call["calleePartyId"] is None
    account_events.wait_for(3)
    sandbox.advance(6)
    routed = sandbox.call(call["telephonySessionId"])
    assert [(p["role"], p["status"]) for p in routed["parties"]] == [
        ("caller", "Answered"),
        ("ivr", "Disconnected"),
        ("callee", "Proceeding"),
    ]
    assert routed["parties"][2]["extensionNumber"] == "102"
    assert steps(d.json for d in account_events.wait_for(6))[3:] == [
        (5, "-2", "Disconnected"),
        (6, "-3", "Setup"),
        (7, "-3", "Proceeding"),
    ]


def test_extension_subscription_gets_only_its_own_parties(sandbox, alice, webhook_receiver):
    user, api = alice
    assert (
        subscribe(
            api, webhook_receiver, ["/restapi/v1.0/account/~/extension/~/telephony/sessions"]
        ).status_code
        == 200
    )
    call = sandbox.start_call(OUTSIDE, "101")
    sandbox.drive(call["telephonySessionId"], "answer")
    notes = [d.json for d in webhook_receiver.wait_for(3)]
    assert steps(notes) == [(3, "-2", "Setup"), (5, "-2", "Proceeding"), (6, "-2", "Answered")]
    assert {n["event"] for n in notes} == {
        f"/restapi/v1.0/account/{sandbox.credentials()['account_id']}/extension/"
        f"{user['extension_id']}/telephony/sessions"
    }
    assert {n["ownerId"] for n in notes} == {user["extension_id"]}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("direction=Inbound", [(3, "-2", "Setup"), (5, "-2", "Proceeding")]),
        ("statusCode=Answered", [(4, "-1", "Answered")]),
        ("phoneNumber=%2B14083388064", [(2, "-1", "Setup"), (3, "-2", "Setup")]),
    ],
)
def test_event_filter_options_select_parties(sandbox, admin_api, webhook_receiver, query, expected):
    assert (
        subscribe(admin_api, webhook_receiver, [f"{ACCOUNT_SESSIONS}?{query}"]).status_code == 200
    )
    sandbox.start_call(OUTSIDE, "101")
    notes = [d.json for d in webhook_receiver.wait_for(len(expected))]
    assert steps(notes[: len(expected)]) == expected
    assert notes[0]["event"].endswith("/telephony/sessions")


def test_missed_call_filter_sees_the_missed_leg(sandbox, admin_api, webhook_receiver):
    assert (
        subscribe(admin_api, webhook_receiver, [f"{ACCOUNT_SESSIONS}?missedCall=true"]).status_code
        == 200
    )
    call = sandbox.start_call(OUTSIDE, "101")
    sandbox.drive(call["telephonySessionId"], "hangup")
    [note] = webhook_receiver.wait_for(1)
    party = note.json["body"]["parties"][0]
    assert (party["id"][-2:], party["status"]["code"], party["missedCall"]) == (
        "-2",
        "Disconnected",
        True,
    )


def test_invalid_telephony_filter_options_are_refused(sandbox, admin_api, webhook_receiver):
    response = subscribe(admin_api, webhook_receiver, [f"{ACCOUNT_SESSIONS}?statusCode=Ringing"])
    assert response.status_code == 400
    assert response.json()["errors"][0]["errorCode"] == "SUB-508"
