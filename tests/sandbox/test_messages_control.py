"""The messaging control endpoints: inbound messages and the outside-number scenarios."""

import base64

import pytest

from tests.sandbox.conftest import login_api
from tests.sandbox.messaging import (
    ALICE,
    MORGAN_FAX,
    OUTSIDE,
    OUTSIDE_2,
    PNG,
    get_message,
    list_messages,
)


def test_inbound_sms_to_a_number_returns_the_created_message(sandbox, alice_api):
    record = sandbox.inbound_message(to=ALICE, **{"from": "4155550123"}, text="Hello")
    alice = sandbox.user("101")
    assert record["extension_id"] == alice["extension_id"]
    assert (record["type"], record["direction"]) == ("SMS", "Inbound")
    assert record["uri"].endswith(
        f"/extension/{alice['extension_id']}/message-store/{record['id']}"
    )
    stored = get_message(alice_api, record["id"])
    assert stored["from"]["phoneNumber"] == OUTSIDE
    assert stored["conversationId"] == record["conversation_id"]


def test_inbound_mms_by_extension_number_with_attachments(sandbox, alice_api):
    record = sandbox.inbound_message(
        type="MMS",
        to="101",
        **{"from": OUTSIDE},
        attachments=[
            {"filename": "p.png", "content_base64": base64.b64encode(PNG).decode()},
            {"content_type": "text/vcard", "text": "BEGIN:VCARD\nEND:VCARD"},
        ],
    )
    stored = get_message(alice_api, record["id"])
    assert [(a["type"], a["contentType"]) for a in stored["attachments"]] == [
        ("MmsAttachment", "image/png"),
        ("MmsAttachment", "text/vcard"),
    ]
    assert alice_api.get(stored["attachments"][0]["uri"]).content == PNG


def test_inbound_fax_to_the_fax_only_number_lands_with_the_admin(sandbox):
    record = sandbox.inbound_message(type="Fax", to=MORGAN_FAX, **{"from": OUTSIDE}, pages=2)
    assert record["extension_id"] == sandbox.user("admin")["extension_id"]
    _, admin_api = login_api(sandbox, "admin")
    with admin_api:
        fax = get_message(admin_api, record["id"])
    assert (fax["faxPageCount"], fax["faxResolution"], fax["to"][0]["phoneNumber"]) == (
        2,
        "High",
        MORGAN_FAX,
    )


def test_an_uploaded_pdf_is_the_inbound_fax_document(sandbox, alice_api):
    from sandbox.messages.content import text_pdf

    pdf = text_pdf([["a"], ["b"], ["c"]])
    record = sandbox.inbound_message(
        type="Fax",
        to="101",
        **{"from": OUTSIDE},
        attachments=[{"filename": "in.pdf", "content_base64": base64.b64encode(pdf).decode()}],
    )
    fax = get_message(alice_api, record["id"])
    assert fax["faxPageCount"] == 3
    assert alice_api.get(fax["attachments"][0]["uri"]).content == pdf


@pytest.mark.parametrize(
    "spec",
    [
        {"type": "Telegram", "to": "101", "from": OUTSIDE, "text": "x"},
        {"to": "999", "from": OUTSIDE, "text": "x"},
        {"to": "+19995550000", "from": OUTSIDE, "text": "x"},
        {"to": MORGAN_FAX, "from": OUTSIDE, "text": "x"},
        {"to": "101", "from": "nope", "text": "x"},
        {"to": "101", "from": OUTSIDE},
        {"type": "MMS", "to": "101", "from": OUTSIDE, "text": "x"},
        {"type": "VoiceMail", "to": "101", "from": OUTSIDE, "duration_s": 0},
        {"type": "Fax", "to": "101", "from": OUTSIDE, "pages": "two"},
        {"type": "Fax", "to": "101", "from": OUTSIDE, "fax_resolution": 5},
        {"to": "101", "from": OUTSIDE, "attachments": [{"content_base64": "!!"}]},
        {"to": "101", "text": "x"},
    ],
)
def test_bad_inbound_requests_are_400_and_create_nothing(sandbox, alice_api, spec):
    response = sandbox.http.post("/sandbox/v1/messages", json=spec)
    assert response.status_code == 400, response.text
    assert response.json()["error"]
    assert list_messages(alice_api)["records"] == []


def test_number_states_can_be_set_listed_and_cleared(sandbox):
    assert sandbox.set_number_state("unreachable", OUTSIDE, "2125550188") == [
        {"phone_number": OUTSIDE_2, "state": "unreachable", "error_code": None},
        {"phone_number": OUTSIDE, "state": "unreachable", "error_code": None},
    ]
    assert sandbox.set_number_state("normal", OUTSIDE) == [
        {"phone_number": OUTSIDE_2, "state": "unreachable", "error_code": None}
    ]
    bad = sandbox.http.post(
        "/sandbox/v1/messages/numbers", json={"phone_number": OUTSIDE, "state": "asleep"}
    )
    assert bad.status_code == 400
    assert sandbox.http.delete("/sandbox/v1/messages/numbers").status_code == 204
    assert sandbox.http.get("/sandbox/v1/messages/numbers").json() == {"count": 0, "records": []}


def test_message_settings_are_runtime_config(sandbox):
    config = sandbox.config(message_sent_delay=0, fax_sent_delay=0.5)
    assert (config["message_sent_delay"], config["fax_sent_delay"]) == (0.0, 0.5)
    assert config["message_sync_overlap"] == 5.0
    assert sandbox.http.patch("/sandbox/v1/config", json={"sms_rate_limit": 0}).status_code == 400
