"""Message events delivered to a webhook (CONTRACT §6.3): message-store changes (with the
type/direction variants), instant SMS, inbound fax and voicemail, with the real envelope."""

from tests.sandbox.messaging import ALICE, MAILBOX, OUTSIDE, SMS, get_message, settle, sms_body
from tests.support.openapi import assert_valid, validate_schema

STORE = "/restapi/v1.0/account/~/extension/~/message-store"
INSTANT = "/restapi/v1.0/account/~/extension/~/message-store/instant?type=SMS"
FAX_EVENTS = "/restapi/v1.0/account/~/extension/~/fax?direction=Inbound"
VOICEMAIL = "/restapi/v1.0/account/~/extension/~/voicemail"


def subscribe(api, receiver, filters):
    body = {
        "eventFilters": filters,
        "deliveryMode": {"transportType": "WebHook", "address": receiver.url},
    }
    return assert_valid(api.post("/restapi/v1.0/subscription", json=body))


def by_event(deliveries) -> dict[str, dict]:
    return {d.json["event"]: d.json for d in deliveries}


def test_inbound_sms_sends_the_instant_event_and_a_store_change(sandbox, alice, webhook_receiver):
    user, api = alice
    ext = user["extension_id"]
    sub = subscribe(api, webhook_receiver, [STORE, INSTANT])
    created = sandbox.inbound_message(to="101", **{"from": OUTSIDE}, text="Hi there")
    notes = by_event(webhook_receiver.wait_for(2))

    instant = notes[f"/restapi/v1.0/account/~/extension/{ext}/message-store/instant?type=SMS"]
    validate_schema("InstantMessageEvent", instant, allowed_extra={"ownerId"})
    assert (instant["subscriptionId"], instant["ownerId"]) == (sub["id"], ext)
    body = instant["body"]
    assert body["id"] == str(created["id"])
    assert (body["type"], body["direction"], body["messageStatus"], body["subject"]) == (
        "SMS",
        "Inbound",
        "Received",
        "Hi there",
    )
    assert body["from"] == {"phoneNumber": OUTSIDE, "location": "San Francisco, CA"}
    assert body["to"] == [
        {"phoneNumber": ALICE, "name": "Alice Walker", "location": "San Mateo, CA"}
    ]
    assert body["conversationId"] == str(created["conversation_id"])
    assert body["attachments"][0]["id"] == created["attachment_ids"][0]

    change = notes[f"/restapi/v1.0/account/~/extension/{ext}/message-store"]
    validate_schema("MessageEvent", change, allowed_extra={"ownerId"})
    assert change["body"]["extensionId"] == ext
    assert change["body"]["changes"] == [
        {"type": "SMS", "newCount": 1, "updatedCount": 0, "newMessageIds": [created["id"]]}
    ]
    stored = get_message(api, created["id"])
    assert change["body"]["lastUpdated"] == stored["lastModifiedTime"]


def test_outbound_status_changes_are_store_updates_for_matching_filters(
    sandbox, alice, webhook_receiver
):
    user, api = alice
    ext = user["extension_id"]
    subscribe(
        api,
        webhook_receiver,
        [
            STORE + "?type=Fax",
            STORE + "?type=SMS&direction=Outbound",
        ],
    )
    sent = assert_valid(api.post(SMS, json=sms_body()))
    settle(sandbox)
    notes = webhook_receiver.wait_for(3)
    assert [n.json["event"] for n in notes] == [
        f"/restapi/v1.0/account/~/extension/{ext}/message-store?type=SMS&direction=Outbound"
    ] * 3
    assert [n.json["body"]["changes"] for n in notes] == [
        [{"type": "SMS", "newCount": 1, "updatedCount": 0, "newMessageIds": [sent["id"]]}],
        [{"type": "SMS", "newCount": 0, "updatedCount": 1}],
        [{"type": "SMS", "newCount": 0, "updatedCount": 1}],
    ]
    api.put(f"{MAILBOX}/{sent['id']}", json={"readStatus": "Unread"})
    sandbox.inbound_message(to="101", **{"from": OUTSIDE}, text="inbound: not for this filter")
    sandbox.inbound_message(type="Fax", to="101", **{"from": OUTSIDE})
    later = webhook_receiver.wait_for(5)[3:]
    assert [n.json["body"]["changes"][0]["type"] for n in later] == ["SMS", "Fax"]
    assert (
        later[1].json["event"] == f"/restapi/v1.0/account/~/extension/{ext}/message-store?type=Fax"
    )


def test_inbound_fax_event_is_shaped_like_the_official_sample(sandbox, alice, webhook_receiver):
    user, api = alice
    ext = user["extension_id"]
    subscribe(api, webhook_receiver, [FAX_EVENTS])
    created = sandbox.inbound_message(type="Fax", to="101", **{"from": OUTSIDE}, pages=3)
    [note] = webhook_receiver.wait_for(1)
    event = note.json
    assert event["event"] == f"/restapi/v1.0/account/~/extension/{ext}/fax?direction=Inbound"
    body = event["body"]
    assert set(body) == {
        "id", "from", "to", "type", "creationTime", "readStatus", "priority", "attachments",
        "direction", "availability", "subject", "messageStatus", "faxResolution",
        "faxPageCount", "lastModifiedTime",
    }  # fmt: skip
    assert (body["id"], body["type"], body["faxPageCount"], body["subject"]) == (
        str(created["id"]),
        "Fax",
        3,
        OUTSIDE,
    )
    [document] = body["attachments"]
    assert (document["type"], document["contentType"]) == ("RenderedDocument", "application/pdf")
    assert api.get(document["uri"]).content.startswith(b"%PDF-")


def test_voicemail_event_and_transcription_update(sandbox, alice, webhook_receiver):
    user, api = alice
    ext = user["extension_id"]
    subscribe(api, webhook_receiver, [VOICEMAIL, STORE])
    created = sandbox.inbound_message(
        type="VoiceMail",
        to="101",
        **{"from": OUTSIDE},
        from_name="Jane Roe",
        duration_s=7,
        transcription="Please call me back.",
    )
    notes = by_event(webhook_receiver.wait_for(2))
    voicemail = notes[f"/restapi/v1.0/account/~/extension/{ext}/voicemail"]
    validate_schema("VoicemailMessageEvent", voicemail)
    body = voicemail["body"]
    assert (body["id"], body["vmTranscriptionStatus"]) == (created["id"], "InProgress")
    assert body["from"] == {
        "phoneNumber": OUTSIDE,
        "name": "Jane Roe",
        "location": "San Francisco, CA",
    }
    assert body["attachments"][0]["vmDuration"] == 7

    sandbox.advance(3)
    update = webhook_receiver.wait_for(3)[2].json
    assert update["body"]["changes"] == [{"type": "VoiceMail", "newCount": 0, "updatedCount": 1}]
    stored = get_message(api, created["id"])
    assert stored["vmTranscriptionStatus"] == "Completed"
    transcript = stored["attachments"][1]
    assert (transcript["type"], transcript["contentType"]) == ("AudioTranscription", "text/plain")
    assert api.get(transcript["uri"]).text == "Please call me back."


def test_invalid_message_filters_are_refused(sandbox, alice_api, webhook_receiver):
    for bad in (
        "/restapi/v1.0/account/~/extension/~/message-store/instant",
        "/restapi/v1.0/account/~/extension/~/message-store?type=Email",
        "/restapi/v1.0/account/~/extension/~/fax?direction=Outbound",
    ):
        body = {
            "eventFilters": [bad],
            "deliveryMode": {"transportType": "WebHook", "address": webhook_receiver.url},
        }
        response = alice_api.post("/restapi/v1.0/subscription", json=body)
        assert response.status_code == 400
        assert assert_valid(response)["errors"][0]["errorCode"] == "SUB-508"
