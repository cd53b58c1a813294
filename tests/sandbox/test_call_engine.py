"""The call engine's Python API (what the traffic generator and the demo seed call), in process,
and the control API's refusals."""

import pytest

from sandbox.voice import engine_of
from sandbox.voice.engine import CallError
from sandbox.voice.models import InvalidState
from tests.sandbox.calls import ALICE_DIRECT, BEN_DIRECT, OUTSIDE
from tests.sandbox.inprocess import new_world, published


@pytest.fixture
def world():
    return new_world()


def test_past_calls_land_in_history_without_events(world):
    voice = engine_of(world)
    events = published(world)
    now = world.clock.now()
    answered = voice.past_call(
        caller=OUTSIDE, callee=ALICE_DIRECT, start=now - 7200, ring=5, talk=65, record=True
    )
    missed = voice.past_call(caller=OUTSIDE, callee=ALICE_DIRECT, start=now - 3600, ring=12)
    voicemail = voice.past_call(
        caller=OUTSIDE, callee=ALICE_DIRECT, start=now - 1800, ring=20, voicemail=9
    )
    assert events == []
    alice = voice.user("101").id_str
    entries = [e for e in voice.calllog.entries if e.extension_id == alice]
    assert [(e.result, e.duration_ms, e.start_time - now) for e in entries] == [
        ("Accepted", 70000, -7200),
        ("Missed", 12000, -3600),
        ("Voicemail", 29000, -1800),
    ]
    assert entries[0].recording is not None and entries[0].recording.duration == 65
    assert entries[0].recording.mode == "Automatic"
    assert entries[2].message is not None and entries[2].message["type"] == "VoiceMail"
    assert {s.id for s in (answered, missed, voicemail)} <= set(voice.ended)
    assert voice.sessions == {}
    assert world.presence.of(voice.user("101")).calls == {}


def test_a_past_call_must_be_over_by_now(world):
    voice = engine_of(world)
    with pytest.raises(CallError):
        voice.past_call(caller=OUTSIDE, callee="101", start=world.clock.now() - 10, talk=60)
    assert voice.calllog.entries == []


def test_start_call_refuses_what_the_account_cannot_place(world):
    voice = engine_of(world)
    for caller, callee in [
        (OUTSIDE, "+12125550100"),  # outside to outside
        ("101", "101"),  # itself
        (OUTSIDE, "107"),  # disabled user
        (OUTSIDE, "+16505550201"),  # the call queue's number
        (OUTSIDE, "+16505550199"),  # a fax-only number
        ("101", "+16505550100"),  # an extension through the IVR
        ("not a number", "101"),
        ("900", OUTSIDE),  # the IVR menu places no calls
    ]:
        with pytest.raises(CallError):
            voice.start_call(caller=caller, callee=callee)
    assert voice.sessions == {}


def test_actions_in_the_wrong_state_raise_invalid_state(world):
    voice = engine_of(world)
    session = voice.start_call(caller=OUTSIDE, callee=ALICE_DIRECT)
    caller, alice = session.parties
    with pytest.raises(InvalidState):
        voice.hold(alice)
    with pytest.raises(InvalidState):
        voice.answer(caller)
    voice.answer(alice)
    with pytest.raises(InvalidState):
        voice.reply(alice, "busy")
    voice.hangup(alice)
    with pytest.raises(InvalidState):
        voice.hangup(alice)
    assert not session.live


def test_sequences_are_per_session(world):
    voice = engine_of(world)
    events = published(world)
    first = voice.start_call(caller=OUTSIDE, callee=ALICE_DIRECT)
    second = voice.start_call(caller=OUTSIDE, callee=BEN_DIRECT)
    voice.answer(first.parties[1])
    sequences = [
        (e.body["telephonySessionId"], e.body["sequence"])
        for e in events
        if e.kind == "telephony-sessions"
    ]
    assert [s for tsid, s in sequences if tsid == first.id] == [2, 3, 4, 5, 6]
    assert [s for tsid, s in sequences if tsid == second.id] == [2, 3, 4, 5]


def test_control_api_refusals(sandbox):
    bad_body = sandbox.http.post("/sandbox/v1/calls", json={"from": OUTSIDE})
    assert (bad_body.status_code, bad_body.json()) == (
        400,
        {"error": "to is required: an extension number or a phone number"},
    )
    unknown_field = sandbox.http.post(
        "/sandbox/v1/calls", json={"from": OUTSIDE, "to": "101", "colour": "red"}
    )
    assert unknown_field.status_code == 400
    assert (
        sandbox.http.post(
            "/sandbox/v1/calls", json={"from": OUTSIDE, "to": "101", "ring_s": 0}
        ).status_code
        == 400
    )
    queue = sandbox.http.post("/sandbox/v1/calls", json={"from": OUTSIDE, "to": "+16505550201"})
    assert queue.json() == {"error": "calls to Department extensions are not emulated"}
    assert sandbox.calls() == []
    assert sandbox.http.post("/sandbox/v1/calls/s-none/answer", json={}).status_code == 404
    call = sandbox.start_call(OUTSIDE, ALICE_DIRECT)
    session_id = call["telephonySessionId"]
    assert sandbox.http.post(f"/sandbox/v1/calls/{session_id}/dance", json={}).status_code == 404
    conflict = sandbox.http.post(f"/sandbox/v1/calls/{session_id}/hold", json={})
    assert conflict.status_code == 409
    wrong_side = sandbox.http.post(f"/sandbox/v1/calls/{session_id}/hold", json={"side": "left"})
    assert wrong_side.status_code == 400
    sandbox.drive(session_id, "hangup")
    ended = sandbox.http.post(f"/sandbox/v1/calls/{session_id}/answer", json={})
    assert (ended.status_code, ended.json()) == (409, {"error": f"call {session_id} has ended"})
    assert [c["telephonySessionId"] for c in sandbox.calls(include_ended=True)] == [session_id]
