"""Sending SMS and MMS (CONTRACT §10.1): every encoding, the status progression, delivery
failures, and every documented refusal (with nothing written when refused)."""

import json

import pytest

from tests.sandbox.conftest import login_api
from tests.sandbox.messaging import (
    ALICE,
    BEN,
    DANIEL,
    MAILBOX,
    MMS,
    MORGAN_FAX,
    OUTSIDE,
    OUTSIDE_2,
    PNG,
    SMS,
    SOFIA,
    error_of,
    field_part,
    file_part,
    get_message,
    json_part,
    list_messages,
    settle,
    sms_body,
)
from tests.support.openapi import assert_valid
from tests.support.sandbox import multipart


def test_sms_is_queued_then_sent_then_delivered(sandbox, alice_api):
    sent = assert_valid(alice_api.post(SMS, json=sms_body(text="Hello there")))
    assert (sent["type"], sent["direction"], sent["messageStatus"], sent["readStatus"]) == (
        "SMS",
        "Outbound",
        "Queued",
        "Read",
    )
    assert sent["from"] == {
        "phoneNumber": ALICE,
        "name": "Alice Walker",
        "location": "San Mateo, CA",
    }
    assert sent["to"] == [
        {"phoneNumber": OUTSIDE, "location": "San Francisco, CA", "messageStatus": "Queued"}
    ]
    assert sent["subject"] == "Hello there"
    [text] = sent["attachments"]
    assert (text["type"], text["contentType"], text["size"]) == ("Text", "text/plain", 11)
    assert sent["conversation"] == {
        "id": str(sent["conversationId"]),
        "uri": sent["conversation"]["uri"],
    }

    sandbox.advance(1)
    after_sent = get_message(alice_api, sent["id"])
    assert (after_sent["messageStatus"], after_sent["smsSendingAttemptsCount"]) == ("Sent", 1)
    assert after_sent["to"][0]["messageStatus"] == "Sent"
    assert after_sent["lastModifiedTime"] > sent["lastModifiedTime"]

    sandbox.advance(2)
    delivered = get_message(alice_api, sent["id"])
    assert delivered["messageStatus"] == "Delivered"
    assert delivered["smsDeliveryTime"] == delivered["lastModifiedTime"]
    assert delivered["segmentCount"] == 1
    assert "deliveryErrorCode" not in delivered

    [entry] = sandbox.outbox(kind="sms")
    assert entry["payload"]["id"] == sent["id"]
    assert entry["payload"]["messageStatus"] == "Queued"


def test_sms_to_an_unreachable_number_ends_delivery_failed(sandbox, alice_api):
    sandbox.set_number_state("unreachable", OUTSIDE)
    sent = assert_valid(alice_api.post(SMS, json=sms_body()))
    settle(sandbox)
    failed = get_message(alice_api, sent["id"])
    assert (failed["messageStatus"], failed["deliveryErrorCode"]) == (
        "DeliveryFailed",
        "SMS-CAR-412",
    )
    assert failed["to"][0]["messageStatus"] == "DeliveryFailed"
    assert "smsDeliveryTime" not in failed


def test_sms_to_an_opted_out_number_fails_sending_with_the_scenario_code(sandbox, alice_api):
    sandbox.set_number_state("opted_out", OUTSIDE, error_code="SMS-UP-413")
    sent = assert_valid(alice_api.post(SMS, json=sms_body()))
    sandbox.advance(5)
    failed = get_message(alice_api, sent["id"])
    assert (failed["messageStatus"], failed["deliveryErrorCode"]) == (
        "SendingFailed",
        "SMS-UP-413",
    )


def test_internal_sms_lands_in_the_recipients_mailbox_as_inbound(sandbox, alice_api):
    sent = assert_valid(alice_api.post(SMS, json=sms_body(to=(BEN,), text="Lunch?")))
    _, ben_api = login_api(sandbox, "102")
    with ben_api:
        assert list_messages(ben_api)["records"] == []
        settle(sandbox)
        [received] = list_messages(ben_api)["records"]
    assert (received["direction"], received["messageStatus"], received["readStatus"]) == (
        "Inbound",
        "Received",
        "Unread",
    )
    assert received["from"]["phoneNumber"] == ALICE
    assert received["from"]["name"] == "Alice Walker"
    assert received["to"][0]["phoneNumber"] == BEN
    assert received["subject"] == "Lunch?"
    assert received["conversationId"] == sent["conversationId"]
    assert received["id"] != sent["id"]
    assert get_message(alice_api, sent["id"])["messageStatus"] == "Delivered"


def test_group_sms_lists_every_recipient_as_target(sandbox, alice_api):
    sent = assert_valid(alice_api.post(SMS, json=sms_body(to=(OUTSIDE, OUTSIDE_2))))
    assert [(r["phoneNumber"], r["target"]) for r in sent["to"]] == [
        (OUTSIDE, True),
        (OUTSIDE_2, True),
    ]
    other = assert_valid(alice_api.post(SMS, json=sms_body(to=(OUTSIDE,))))
    assert other["conversationId"] != sent["conversationId"]
    again = assert_valid(alice_api.post(SMS, json=sms_body(to=(OUTSIDE_2, OUTSIDE))))
    assert again["conversationId"] == sent["conversationId"]


def test_numbers_without_plus_are_normalised(sandbox, alice_api):
    sent = assert_valid(
        alice_api.post(SMS, json=sms_body(sender="16505550101", to=("(415) 555-0123",)))
    )
    assert (sent["from"]["phoneNumber"], sent["to"][0]["phoneNumber"]) == (ALICE, OUTSIDE)


def test_sms_as_multipart_form_data_fields(sandbox, alice_api):
    content_type, body = multipart(
        "form-data",
        [
            field_part("from", ALICE),
            field_part("to", OUTSIDE),
            field_part("to", OUTSIDE_2),
            field_part("text", "Form fields"),
        ],
    )
    sent = assert_valid(alice_api.post(SMS, content=body, headers={"Content-Type": content_type}))
    assert [r["phoneNumber"] for r in sent["to"]] == [OUTSIDE, OUTSIDE_2]
    assert sent["subject"] == "Form fields"


def test_mms_through_sms_as_multipart_mixed_with_the_json_part_first(sandbox, alice_api):
    content_type, body = multipart(
        "mixed",
        [json_part(sms_body(text="Look")), file_part("photo.png", PNG, "image/png")],
    )
    sent = assert_valid(alice_api.post(SMS, content=body, headers={"Content-Type": content_type}))
    assert sent["type"] == "SMS"
    assert [(a["type"], a["contentType"]) for a in sent["attachments"]] == [
        ("Text", "text/plain"),
        ("MmsAttachment", "image/png"),
    ]
    [entry] = sandbox.outbox(kind="mms")
    assert entry["payload"]["id"] == sent["id"]
    stored = get_message(alice_api, sent["id"])
    image = stored["attachments"][1]
    assert (image["fileName"], image["size"], image["width"], image["height"]) == (
        "photo.png",
        len(PNG),
        1,
        1,
    )
    assert "segmentCount" not in stored


def test_mms_endpoint_with_form_data_fields_and_files(sandbox, alice_api):
    response = alice_api.post(
        MMS,
        data={"from": ALICE, "to": [OUTSIDE]},
        files=[("attachments", ("card.vcf", b"BEGIN:VCARD\nEND:VCARD\n", "text/vcard"))],
    )
    sent = assert_valid(response)
    assert [a["type"] for a in sent["attachments"]] == ["MmsAttachment"]
    assert sent["subject"] == ""


def test_mms_sdk_style_json_part_and_untyped_file(sandbox, alice_api):
    """The SDKs send a `request.json` part and files typed only by their name."""
    response = alice_api.post(
        SMS,
        files=[
            (
                "json",
                ("request.json", json.dumps(sms_body(text="SDK")).encode(), "application/json"),
            ),
            ("attachment", ("photo.png", PNG)),
        ],
    )
    sent = assert_valid(response)
    assert sent["attachments"][1]["contentType"] == "image/png"


@pytest.mark.parametrize(
    ("user", "body", "status", "code"),
    [
        ("101", sms_body(sender=BEN), 400, "MSG-245"),
        ("admin", sms_body(sender=MORGAN_FAX), 403, "MSG-241"),
        ("104", sms_body(sender=DANIEL), 403, "MSG-367"),
        ("101", sms_body(to=tuple(f"+1415555{1000 + i}" for i in range(11))), 400, "MSG-381"),
        ("101", sms_body(text="x" * 1001), 400, "CMN-101"),
        ("101", sms_body(text="😀" * 501), 400, "CMN-101"),
        ("101", sms_body(to=("not a number",)), 400, "CMN-101"),
        ("101", sms_body(to=("102",)), 400, "MSG-246"),
        ("101", sms_body(to=("55555",)), 400, "MSG-247"),
        ("101", sms_body(to=(OUTSIDE, "4155550123")), 400, "CMN-406"),
        ("101", {"from": {"phoneNumber": ALICE}, "to": [{"phoneNumber": OUTSIDE}]}, 400, "CMN-100"),
        ("101", {"to": [{"phoneNumber": OUTSIDE}], "text": "x"}, 400, "CMN-100"),
        ("101", {"from": {"phoneNumber": ALICE}, "text": "x"}, 400, "CMN-100"),
        (
            "101",
            {**sms_body(), "country": {"id": "1", "isoCode": "US"}},
            400,
            "MSG-365",
        ),
        ("101", {**sms_body(), "country": "US"}, 400, "CMN-101"),
        ("101", {**sms_body(), "text": 5}, 400, "CMN-101"),
        ("101", {**sms_body(), "to": [{"phoneNumber": 5}]}, 400, "CMN-101"),
    ],
)
def test_refused_sms_writes_nothing(sandbox, user, body, status, code):
    _, api = login_api(sandbox, user)
    with api:
        response = api.post(SMS, json=body)
        assert response.status_code == status, response.text
        assert error_of(response)["errorCode"] == code
        assert list_messages(api, availability="Alive")["records"] == []
    assert sandbox.outbox(kind="sms") == []


def test_text_exactly_1000_units_is_accepted(sandbox, alice_api):
    assert alice_api.post(SMS, json=sms_body(text="😀" * 500)).status_code == 200


def test_blocked_number_is_refused(sandbox, alice_api):
    sandbox.set_number_state("blocked", OUTSIDE_2)
    response = alice_api.post(SMS, json=sms_body(to=(OUTSIDE, OUTSIDE_2)))
    assert response.status_code == 400
    error = error_of(response)
    assert (error["errorCode"], error["message"]) == (
        "MSG-243",
        "Parameter [to] value [12125550188] is invalid [Phone number is blocked]",
    )
    assert sandbox.outbox() == []


def test_mms_from_a_number_without_mms_feature_is_403(sandbox):
    _, api = login_api(sandbox, "supervisor")
    with api:
        content_type, body = multipart(
            "mixed", [json_part(sms_body(sender=SOFIA)), file_part("a.png", PNG, "image/png")]
        )
        response = api.post(SMS, content=body, headers={"Content-Type": content_type})
        assert response.status_code == 403
        assert error_of(response)["errorCode"] == "MSG-242"
        assert api.post(SMS, json=sms_body(sender=SOFIA)).status_code == 200


@pytest.mark.parametrize(
    ("files", "status", "code"),
    [
        ([("stuff.smil", b"<smil/>", "application/smil")], 415, "MSG-348"),
        ([("noext", b"data", None)], 415, "MSG-353"),
        ([("a.png", PNG, "image/png")] * 11, 400, "MSG-379"),
        ([("big.png", b"\0" * 800_000, "image/png")] * 2, 400, "MSG-376"),
        ([("empty.png", b"", "image/png")], 400, "MSG-347"),
    ],
)
def test_refused_mms_attachments(sandbox, alice_api, files, status, code):
    parts = [json_part(sms_body())] + [file_part(*f) for f in files]
    content_type, body = multipart("mixed", parts)
    response = alice_api.post(MMS, content=body, headers={"Content-Type": content_type})
    assert response.status_code == status, response.text
    assert error_of(response)["errorCode"] == code
    assert sandbox.outbox() == []


def test_mms_endpoint_needs_attachments_and_multipart(sandbox, alice_api):
    response = alice_api.post(MMS, json=sms_body())
    assert response.status_code == 415
    content_type, body = multipart("mixed", [json_part(sms_body())])
    response = alice_api.post(MMS, content=body, headers={"Content-Type": content_type})
    assert response.status_code == 400
    assert error_of(response) == {
        "errorCode": "CMN-100",
        "message": "Mandatory parameter [attachments] not specified.",
        "parameterName": "attachments",
    }


def test_unparsable_bodies(sandbox, alice_api):
    bad_json = alice_api.post(SMS, content=b"{nope", headers={"Content-Type": "application/json"})
    assert (bad_json.status_code, error_of(bad_json)["errorCode"]) == (400, "CMN-103")
    plain = alice_api.post(SMS, content=b"hello", headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    no_boundary = alice_api.post(SMS, content=b"x", headers={"Content-Type": "multipart/mixed"})
    assert (no_boundary.status_code, error_of(no_boundary)["errorCode"]) == (400, "CMN-104")


def test_an_agent_cannot_send_from_another_mailbox(sandbox, alice_api):
    ben = sandbox.user("102")
    response = alice_api.post(
        f"/restapi/v1.0/account/~/extension/{ben['extension_id']}/sms", json=sms_body(sender=BEN)
    )
    assert response.status_code == 403
    assert error_of(response)["errorCode"] == "CMN-404"


def test_sms_sending_limit_across_apps_is_msg_305(sandbox, alice_api):
    sandbox.config(sms_rate_limit=2)
    for _ in range(2):
        assert alice_api.post(SMS, json=sms_body()).status_code == 200
    limited = alice_api.post(SMS, json=sms_body())
    assert limited.status_code == 429
    assert error_of(limited) == {"errorCode": "MSG-305", "message": "Request rate exceeded"}
    assert int(limited.headers["retry-after"]) >= 1
    assert len(sandbox.outbox(kind="sms")) == 2


def test_sms_is_in_the_medium_group(sandbox, alice_api):
    sandbox.config(rate_limits={"Medium": 1})
    first = alice_api.post(SMS, json=sms_body())
    assert first.headers["x-rate-limit-group"] == "medium"
    limited = alice_api.post(SMS, json=sms_body())
    assert (limited.status_code, error_of(limited)["errorCode"]) == (429, "CMN-301")


def test_sent_sms_is_listed_in_the_senders_mailbox(sandbox, alice_api):
    sent = assert_valid(alice_api.post(SMS, json=sms_body()))
    [listed] = list_messages(alice_api)["records"]
    assert listed["id"] == sent["id"]
    assert listed["uri"].endswith(f"{sent['id']}")
    assert alice_api.get(f"{MAILBOX}/{sent['id']}").json()["vmSideRecipients"] == listed["to"]
