"""The message store (CONTRACT §8.1): list with filters and paging, read one or several,
update read status, delete/purge/restore, and attachment content with Range."""

import base64
import io
import json
import wave

import pytest

from tests.sandbox.conftest import login_api
from tests.sandbox.messaging import (
    ALICE,
    MAILBOX,
    OUTSIDE,
    OUTSIDE_2,
    PNG,
    SMS,
    error_of,
    get_message,
    list_messages,
    sms_body,
)
from tests.support.openapi import assert_valid, validate_schema


@pytest.fixture
def inbox(sandbox, alice_api):
    """Alice's mailbox with, oldest first: an SMS from OUTSIDE, a voicemail, an MMS from
    OUTSIDE_2, an outbound SMS to OUTSIDE and a fax; returns their ids by name."""
    ids = {
        "sms": sandbox.inbound_message(to="101", **{"from": OUTSIDE}, text="First")["id"],
        "voicemail": sandbox.inbound_message(
            type="VoiceMail", to="101", **{"from": OUTSIDE_2}, from_name="Jane Roe", duration_s=4
        )["id"],
        "mms": sandbox.inbound_message(
            type="MMS",
            to=ALICE,
            **{"from": OUTSIDE_2},
            text="Photo",
            attachments=[{"filename": "p.png", "content_base64": base64.b64encode(PNG).decode()}],
        )["id"],
    }
    ids["outbound"] = assert_valid(alice_api.post(SMS, json=sms_body(text="Reply")))["id"]
    ids["fax"] = sandbox.inbound_message(type="Fax", to="101", **{"from": OUTSIDE}, pages=2)["id"]
    return ids


def test_list_is_newest_first_with_paging_and_navigation(sandbox, alice_api, inbox):
    body = list_messages(alice_api)
    assert [r["id"] for r in body["records"]] == [
        inbox["fax"],
        inbox["outbound"],
        inbox["mms"],
        inbox["voicemail"],
        inbox["sms"],
    ]
    assert body["paging"] == {
        "page": 1,
        "totalPages": 1,
        "perPage": 100,
        "totalElements": 5,
        "pageStart": 0,
        "pageEnd": 4,
    }
    page2 = list_messages(alice_api, perPage=2, page=2)
    assert [r["id"] for r in page2["records"]] == [inbox["mms"], inbox["voicemail"]]
    assert "perPage=2" in page2["navigation"]["nextPage"]["uri"]
    assert "page=3" in page2["navigation"]["nextPage"]["uri"]
    last = list_messages(alice_api, perPage=2, page=3)
    assert "nextPage" not in last["navigation"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"messageType": "SMS"}, ["outbound", "mms", "sms"]),
        ({"messageType": ["Fax", "VoiceMail"]}, ["fax", "voicemail"]),
        ({"direction": "Outbound"}, ["outbound"]),
        ({"readStatus": "Read"}, ["outbound"]),
        ({"phoneNumber": OUTSIDE_2}, ["mms", "voicemail"]),
        ({"phoneNumber": "4155550123"}, ["fax", "outbound", "sms"]),
        ({"distinctConversations": "true"}, ["fax", "outbound", "mms", "voicemail"]),
    ],
)
def test_list_filters(sandbox, alice_api, inbox, params, expected):
    body = list_messages(alice_api, **params)
    assert [r["id"] for r in body["records"]] == [inbox[name] for name in expected]


def test_list_by_conversation(sandbox, alice_api, inbox):
    conversation = get_message(alice_api, inbox["sms"])["conversationId"]
    body = list_messages(alice_api, conversationId=str(conversation))
    assert [r["id"] for r in body["records"]] == [inbox["outbound"], inbox["sms"]]


def test_date_range_defaults_to_the_last_24_hours(sandbox, alice_api, inbox):
    sandbox.advance(25 * 3600 - 3000)  # keep the token (1 h) alive: log in again below
    _, api = login_api(sandbox, "101")
    with api:
        assert list_messages(api)["records"] == []
        assert len(list_messages(api, dateFrom="2000-01-01T00:00:00Z")["records"]) == 5
        older = list_messages(api, dateFrom="2000-01-01", dateTo="2000-01-02")
        assert older["records"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"messageType": "Email"},
        {"direction": "Sideways"},
        {"readStatus": "Maybe"},
        {"availability": "Gone"},
        {"dateFrom": "yesterday"},
        {"distinctConversations": "perhaps"},
        {"conversationId": "abc"},
        {"perPage": "0"},
    ],
)
def test_bad_list_parameters_are_cmn_101(sandbox, alice_api, params):
    response = alice_api.get(MAILBOX, params=params)
    assert response.status_code == 400
    assert error_of(response)["errorCode"] == "CMN-101"


def test_read_one_message_and_several(sandbox, alice_api, inbox):
    single = get_message(alice_api, inbox["voicemail"])
    assert single["type"] == "VoiceMail"
    assert single["from"] == {
        "phoneNumber": OUTSIDE_2,
        "name": "Jane Roe",
        "location": "New York, NY",
    }
    assert single["vmSideRecipients"][0]["name"] == "Alice Walker"
    [audio] = single["attachments"]
    assert (audio["type"], audio["contentType"], audio["vmDuration"]) == (
        "AudioRecording",
        "audio/x-wav",
        4,
    )
    ids = f"{inbox['sms']},{inbox['fax']},999"
    bulk = alice_api.get(f"{MAILBOX}/{ids}")
    assert bulk.status_code == 207
    boundary = bulk.headers["content-type"].split("boundary=")[1]
    parts = [
        json.loads(chunk.split("\r\n\r\n", 1)[1])
        for chunk in bulk.text.split(f"--{boundary}")
        if "\r\n\r\n" in chunk
    ]
    assert parts[0] == {"response": [{"status": 200}, {"status": 200}, {"status": 404}]}
    assert [parts[1]["id"], parts[2]["id"]] == [inbox["sms"], inbox["fax"]]
    assert parts[3]["errors"][0]["errorCode"] == "CMN-102"
    for part in parts[1:3]:
        validate_schema("GetMessageInfoResponse", part)
    as_json = alice_api.get(
        f"{MAILBOX}/{inbox['sms']},{inbox['fax']}",
        headers={"Accept": "application/vnd.ringcentral.multipart+json"},
    )
    assert as_json.status_code == 207
    entries = as_json.json()
    assert [(p["resourceId"], p["status"]) for p in entries] == [
        (str(inbox["sms"]), 200),
        (str(inbox["fax"]), 200),
    ]
    validate_schema("GetMessageMultiResponse", entries)


def test_unknown_or_foreign_message_is_404(sandbox, alice_api, inbox):
    missing = alice_api.get(f"{MAILBOX}/123456")
    assert (missing.status_code, error_of(missing)["errorCode"]) == (404, "CMN-102")
    _, ben_api = login_api(sandbox, "102")
    with ben_api:
        foreign = ben_api.get(f"{MAILBOX}/{inbox['sms']}")
        assert foreign.status_code == 404
        alice = sandbox.user("101")["extension_id"]
        other = ben_api.get(f"/restapi/v1.0/account/~/extension/{alice}/message-store")
        assert (other.status_code, error_of(other)["errorCode"]) == (403, "CMN-404")


def test_mark_read_with_put_and_unread_with_patch(sandbox, alice_api, inbox):
    before = get_message(alice_api, inbox["sms"])
    sandbox.advance(1)
    read = assert_valid(alice_api.put(f"{MAILBOX}/{inbox['sms']}", json={"readStatus": "Read"}))
    assert read["readStatus"] == "Read"
    assert read["lastModifiedTime"] > before["lastModifiedTime"]
    unread = assert_valid(
        alice_api.patch(f"{MAILBOX}/{inbox['sms']}", json={"readStatus": "Unread"})
    )
    assert unread["readStatus"] == "Unread"
    bad = alice_api.put(f"{MAILBOX}/{inbox['sms']}", json={"readStatus": "Skimmed"})
    assert (bad.status_code, error_of(bad)["parameterName"]) == (400, "readStatus")
    empty = alice_api.put(f"{MAILBOX}/{inbox['sms']}", json={})
    assert (empty.status_code, error_of(empty)["errorCode"]) == (400, "CMN-100")
    assert get_message(alice_api, inbox["sms"])["readStatus"] == "Unread"


def test_delete_then_restore_then_purge(sandbox, alice_api, inbox):
    target = f"{MAILBOX}/{inbox['mms']}"
    image_uri = get_message(alice_api, inbox["mms"])["attachments"][1]["uri"]
    assert alice_api.delete(target).status_code == 204
    deleted = get_message(alice_api, inbox["mms"])
    assert deleted["availability"] == "Deleted"
    assert alice_api.get(image_uri).status_code == 200  # deleted keeps its attachments
    assert inbox["mms"] not in [r["id"] for r in list_messages(alice_api)["records"]]
    listed = list_messages(alice_api, availability="Deleted")["records"]
    assert [r["id"] for r in listed] == [inbox["mms"]]

    restored = assert_valid(alice_api.patch(target, json={"availability": "Alive"}))
    assert restored["availability"] == "Alive"

    assert alice_api.delete(target, params={"purge": "true"}).status_code == 204
    purged = get_message(alice_api, inbox["mms"])
    assert (purged["availability"], purged["attachments"]) == ("Purged", [])
    assert alice_api.get(image_uri).status_code == 404
    refused = alice_api.patch(target, json={"availability": "Alive"})
    assert refused.status_code == 400


def test_second_delete_purges(sandbox, alice_api, inbox):
    target = f"{MAILBOX}/{inbox['sms']}"
    alice_api.delete(target)
    alice_api.delete(target)
    assert get_message(alice_api, inbox["sms"])["availability"] == "Purged"


def test_delete_a_conversation(sandbox, alice_api, inbox):
    conversation = get_message(alice_api, inbox["sms"])["conversationId"]
    response = alice_api.delete(MAILBOX, params={"conversationId": str(conversation)})
    assert response.status_code == 204
    remaining = [r["id"] for r in list_messages(alice_api)["records"]]
    assert remaining == [inbox["fax"], inbox["mms"], inbox["voicemail"]]


def test_attachment_content_with_range_and_access_token(sandbox, alice_api, inbox):
    voicemail = get_message(alice_api, inbox["voicemail"])
    uri = voicemail["attachments"][0]["uri"]
    whole = alice_api.get(uri)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == "audio/x-wav"
    assert whole.headers["accept-ranges"] == "bytes"
    with wave.open(io.BytesIO(whole.content)) as audio:
        assert audio.getnframes() / audio.getframerate() == 4
    part = alice_api.get(uri, headers={"Range": "bytes=0-99"})
    assert part.status_code == 206
    assert part.content == whole.content[:100]
    assert part.headers["content-range"] == f"bytes 0-99/{len(whole.content)}"
    beyond = alice_api.get(uri, headers={"Range": f"bytes={len(whole.content)}-"})
    assert (beyond.status_code, error_of(beyond)["errorCode"]) == (416, "CMN-107")

    token = alice_api.headers["authorization"].split()[1]
    by_query = sandbox.http.get(
        uri, params={"access_token": token, "contentDisposition": "Attachment"}
    )
    assert by_query.status_code == 200
    assert by_query.headers["content-disposition"].startswith("attachment; filename=")

    text = get_message(alice_api, inbox["sms"])["attachments"][0]["uri"]
    named = alice_api.get(text, params={"contentDispositionFilename": "note.txt"})
    assert named.content == b"First"
    assert named.headers["content-disposition"] == 'inline; filename="note.txt"'


def test_unknown_attachment_is_404(sandbox, alice_api, inbox):
    response = alice_api.get(f"{MAILBOX}/{inbox['sms']}/content/1")
    assert response.status_code == 404
    assert error_of(response)["parameterName"] == "attachmentId"
