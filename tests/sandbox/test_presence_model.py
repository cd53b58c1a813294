"""The presence model the voice engine drives (in process: no call API exists yet)."""

from sandbox.presence.models import ActiveCall
from tests.sandbox.inprocess import new_world, published
from tests.support.openapi import validate_response, validate_schema


def call(call_id: str, status: str, start: float = 1_700_000_000.0) -> ActiveCall:
    return ActiveCall(
        id=call_id,
        direction="Inbound",
        from_number="+14155550123",
        to_number="+16505550101",
        telephony_status=status,
        start_time=start,
        session_id="4250081600" + call_id[-2:],
        telephony_session_id=f"s-{call_id}",
        party_id=f"p-{call_id}-2",
        from_name="Jane Customer",
    )


def test_calls_drive_telephony_status_sequence_and_events():
    world = new_world()
    alice = next(e for e in world.account.extensions.values() if e.extension_number == "101")
    captured = published(world)
    book = world.presence
    start = book.of(alice).sequence

    book.set_call(alice.id_str, call("c01", "Ringing"))
    assert (book.of(alice).telephony_status, book.of(alice).presence_status) == ("Ringing", "Busy")
    book.set_call(alice.id_str, call("c01", "CallConnected"))
    book.set_call(alice.id_str, call("c02", "Ringing"))
    assert book.of(alice).telephony_status == "Ringing"
    book.end_call(alice.id_str, "c02")
    assert book.of(alice).telephony_status == "CallConnected"
    book.set_call(alice.id_str, call("c01", "OnHold"))
    book.end_call(alice.id_str, "c01")

    assert book.of(alice).telephony_status == "NoCall"
    assert book.of(alice).presence_status == "Available"
    events = [e.body for e in captured]
    assert [e["sequence"] for e in events] == list(range(start + 1, start + 7))
    assert [e["telephonyStatus"] for e in events] == [
        "Ringing",
        "CallConnected",
        "Ringing",
        "CallConnected",
        "OnHold",
        "NoCall",
    ]
    ended = events[3]["activeCalls"][-1]
    assert (ended["id"], ended["telephonyStatus"], ended["terminationType"]) == (
        "c02",
        "NoCall",
        "final",
    )
    for body in events:
        validate_schema("DetailedExtensionPresenceEventBody", body)


def test_presence_info_lists_active_calls_in_the_spec_shape():
    world = new_world()
    alice = next(e for e in world.account.extensions.values() if e.extension_number == "101")
    world.presence.set_call(alice.id_str, call("c07", "CallConnected"))
    uri = f"http://x/restapi/v1.0/account/{world.account.id}/extension/{alice.id}"
    body = world.presence.info(alice, detailed=True, uri=uri + "/presence", ext_uri=uri)
    validate_response("GET", uri + "/presence", 200, body)
    assert [(c["id"], c["telephonyStatus"]) for c in body["activeCalls"]] == [
        ("c07", "CallConnected")
    ]
    assert body["activeCalls"][0]["startTime"] == "2023-11-14T22:13:20.000Z"
