"""Message sync (CONTRACT §8.2): FSync frames, recordCount and olderRecordsExist, ISync with
changes, deletions as id + availability, the documented overlap, and MSG-333 resets."""

from tests.sandbox.messaging import MAILBOX, OUTSIDE, SYNC, error_of
from tests.support.openapi import assert_valid


def inbound(sandbox, text: str, kind: str = "SMS") -> int:
    spec = {"type": kind, "to": "101", "from": OUTSIDE}
    if kind == "SMS":
        spec["text"] = text
    return sandbox.inbound_message(**spec)["id"]


def full_sync(api, **params):
    return assert_valid(api.get(SYNC, params={"syncType": "FSync", **params}))


def incremental(api, token: str, **params):
    return api.get(SYNC, params={"syncType": "ISync", "syncToken": token, **params})


def test_full_sync_returns_the_frame_newest_first(sandbox, alice_api):
    first, second = inbound(sandbox, "one"), inbound(sandbox, "two")
    body = full_sync(alice_api)
    assert [r["id"] for r in body["records"]] == [second, first]
    info = body["syncInfo"]
    assert (info["syncType"], info["olderRecordsExist"]) == ("FSync", False)
    assert info["syncToken"]
    assert info["syncTime"].endswith("Z")
    assert "message-sync" in body["uri"]


def test_record_count_cuts_to_the_newest_and_says_older_exist(sandbox, alice_api):
    ids = [inbound(sandbox, str(i)) for i in range(3)]
    body = full_sync(alice_api, recordCount=2)
    assert [r["id"] for r in body["records"]] == [ids[2], ids[1]]
    assert body["syncInfo"]["olderRecordsExist"] is True


def test_incremental_sync_returns_only_changes_since_the_token(sandbox, alice_api):
    kept, read, deleted = inbound(sandbox, "a"), inbound(sandbox, "b"), inbound(sandbox, "c")
    sandbox.advance(10)  # older than the overlap before the full sync
    token = full_sync(alice_api)["syncInfo"]["syncToken"]
    sandbox.advance(10)  # past the 5 s overlap
    new = inbound(sandbox, "d")
    alice_api.put(f"{MAILBOX}/{read}", json={"readStatus": "Read"})
    alice_api.delete(f"{MAILBOX}/{deleted}")
    sandbox.advance(10)

    body = assert_valid(incremental(alice_api, token))
    by_id = {r["id"]: r for r in body["records"]}
    assert set(by_id) == {new, read, deleted}
    assert kept not in by_id
    assert by_id[deleted] == {"id": deleted, "availability": "Deleted"}
    assert by_id[read]["readStatus"] == "Read"
    assert body["syncInfo"]["syncType"] == "ISync"

    sandbox.advance(10)
    again = assert_valid(incremental(alice_api, body["syncInfo"]["syncToken"]))
    assert again["records"] == []


def test_incremental_sync_overlaps_the_last_five_seconds(sandbox, alice_api):
    recent = inbound(sandbox, "just now")
    token = full_sync(alice_api)["syncInfo"]["syncToken"]
    body = assert_valid(incremental(alice_api, token))
    assert [r["id"] for r in body["records"]] == [recent]


def test_the_frame_filters_carry_into_incremental_sync(sandbox, alice_api):
    token = full_sync(alice_api, messageType="SMS")["syncInfo"]["syncToken"]
    sandbox.advance(10)
    sms = inbound(sandbox, "text")
    inbound(sandbox, "", kind="Fax")
    body = assert_valid(incremental(alice_api, token))
    assert [r["id"] for r in body["records"]] == [sms]


def test_incremental_sync_needs_a_valid_current_token(sandbox, alice_api):
    missing = alice_api.get(SYNC, params={"syncType": "ISync"})
    assert (missing.status_code, error_of(missing)["errorCode"]) == (400, "CMN-100")
    garbage = incremental(alice_api, "not-a-token")
    assert garbage.status_code == 400
    assert error_of(garbage) == {
        "errorCode": "MSG-333",
        "message": "Invalid message synchronisation request: full synchronization is required",
        "parameterName": "syncToken",
    }
    token = full_sync(alice_api)["syncInfo"]["syncToken"]
    assert incremental(alice_api, token).status_code == 200
    alice = sandbox.user("101")["extension_id"]
    result = sandbox.add_fault("message_sync_reset", extension_id=alice)
    assert result == {"kind": "message_sync_reset", "applied": True, "extensions": [alice]}
    reset = incremental(alice_api, token)
    assert (reset.status_code, error_of(reset)["errorCode"]) == (400, "MSG-333")
    fresh = full_sync(alice_api)["syncInfo"]["syncToken"]
    assert incremental(alice_api, fresh).status_code == 200


def test_a_token_is_only_good_for_its_own_mailbox(sandbox, alice_api, admin_api):
    token = full_sync(alice_api)["syncInfo"]["syncToken"]
    response = incremental(admin_api, token)
    assert (response.status_code, error_of(response)["errorCode"]) == (400, "MSG-333")


def test_bad_sync_parameters(sandbox, alice_api):
    for params in ({"syncType": "Partial"}, {"recordCount": "0"}, {"messageType": "Email"}):
        response = alice_api.get(SYNC, params=params)
        assert (response.status_code, error_of(response)["errorCode"]) == (400, "CMN-101")
