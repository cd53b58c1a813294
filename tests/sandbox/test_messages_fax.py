"""Sending faxes (CONTRACT §10.2): both multipart encodings, cover pages, resolution,
scheduled sending, the rendered PDF, failures, re-sending and the cover-page dictionary."""

import io
import json
from datetime import datetime, timedelta

import pytest
from pypdf import PdfReader

from tests.sandbox.conftest import login_api
from tests.sandbox.messaging import (
    FAX,
    MAILBOX,
    MORGAN_FAX,
    OUTSIDE,
    PNG,
    error_of,
    file_part,
    get_message,
    json_part,
    list_messages,
)
from tests.support.openapi import assert_valid
from tests.support.sandbox import multipart


def form_field(name: str, value: str):
    """A form-data field as the official sample sends it (`filename=""`, typed text/plain)."""
    return (
        {
            "Content-Disposition": f'form-data; name="{name}"; filename=""',
            "Content-Transfer-Encoding": "8bit",
            "Content-Type": "text/plain",
        },
        value.encode(),
    )


def send_form(api, parts):
    content_type, body = multipart("form-data", parts)
    return api.post(FAX, content=body, headers={"Content-Type": content_type})


def rendered_pdf(api, message: dict) -> PdfReader:
    [document] = message["attachments"]
    assert (document["type"], document["contentType"]) == ("RenderedDocument", "application/pdf")
    content = api.get(document["uri"])
    assert content.status_code == 200
    assert content.headers["content-type"] == "application/pdf"
    return PdfReader(io.BytesIO(content.content))


def test_fax_as_form_data_like_the_official_sample(sandbox, alice_api):
    response = send_form(
        alice_api,
        [
            form_field("coverPageText", "Please sign page 2"),
            form_field("coverIndex", "2"),
            form_field("faxResolution", "High"),
            form_field("to", "14155550123"),
            form_field("to", "12125550188"),
            (
                {"Content-Disposition": 'form-data; name="attachment"; filename=""',
                 "Content-Type": "text/plain"},
                b"attachment0\nsecond line",
            ),
            (
                {"Content-Disposition": 'form-data; name="attachment"; filename="doc.txt"',
                 "Content-Type": "text/plain"},
                b"attachment1",
            ),
        ],
    )  # fmt: skip
    fax = assert_valid(response)
    assert (fax["type"], fax["direction"], fax["messageStatus"]) == ("Fax", "Outbound", "Queued")
    assert [(t["phoneNumber"], t["messageStatus"]) for t in fax["to"]] == [
        (OUTSIDE, "Queued"),
        ("+12125550188", "Queued"),
    ]
    assert all(t["recipientId"] for t in fax["to"])
    assert (fax["faxResolution"], fax["coverIndex"], fax["coverPageText"]) == (
        "High",
        2,
        "Please sign page 2",
    )
    assert fax["faxPageCount"] == 3  # cover + one page per text document
    assert fax["from"]["phoneNumber"] == "+16505550101"
    pdf = rendered_pdf(alice_api, fax)
    assert len(pdf.pages) == 3
    cover = pdf.pages[0].extract_text()
    assert "Birthday cover page" in cover
    assert "Please sign page 2" in cover
    assert "attachment0" in pdf.pages[1].extract_text()
    [entry] = sandbox.outbox(kind="fax")
    assert entry["payload"]["id"] == fax["id"]

    sandbox.advance(5)
    sent = get_message(alice_api, fax["id"])
    assert sent["messageStatus"] == "Sent"
    assert [t["messageStatus"] for t in sent["to"]] == ["Sent", "Sent"]


def test_fax_as_multipart_mixed_with_a_json_root(sandbox, alice_api):
    content_type, body = multipart(
        "mixed",
        [
            json_part(
                {"to": [{"phoneNumber": "18005554567", "name": "Acme"}], "faxResolution": "Low"}
            ),
            ({"Content-Disposition": 'attachment; filename="fax.txt"'}, b"Hello, World!\n"),
        ],
    )
    fax = assert_valid(alice_api.post(FAX, content=body, headers={"Content-Type": content_type}))
    assert fax["to"][0]["phoneNumber"] == "+18005554567"
    assert fax["to"][0]["name"] == "Acme"
    assert (fax["faxResolution"], fax["coverIndex"], fax["faxPageCount"]) == ("Low", 0, 1)
    assert "coverPageText" not in fax


def test_fax_sdk_style_json_part_with_a_pdf_and_an_image(sandbox, alice_api):
    two_pages = rendered_two_page_pdf()
    root = {"to": [{"phoneNumber": OUTSIDE}], "coverIndex": 1}
    response = alice_api.post(
        FAX,
        files=[
            ("json", ("request.json", json.dumps(root), "application/json")),
            ("attachment", ("contract.pdf", two_pages, "application/pdf")),
            ("attachment", ("logo.png", PNG)),
        ],
    )  # fmt: skip
    fax = assert_valid(response)
    assert fax["faxPageCount"] == 4  # cover + 2 PDF pages + 1 image page
    assert len(rendered_pdf(alice_api, fax).pages) == 4


def rendered_two_page_pdf() -> bytes:
    from sandbox.messages.content import text_pdf

    return text_pdf([["one"], ["two"]])


def test_scheduled_fax_stays_queued_until_its_send_time(sandbox, alice_api):
    now = datetime.fromisoformat(sandbox.advance(0)["time"].replace("Z", "+00:00"))
    later = (now + timedelta(minutes=30)).isoformat().replace("+00:00", "Z")
    fax = assert_valid(
        send_form(
            alice_api,
            [
                form_field("to", OUTSIDE),
                form_field("sendTime", later),
                file_part("a.txt", b"hi", "text/plain", name="attachment"),
            ],
        )
    )
    sandbox.advance(60)
    assert get_message(alice_api, fax["id"])["messageStatus"] == "Queued"
    sandbox.advance(30 * 60)
    assert get_message(alice_api, fax["id"])["messageStatus"] == "Sent"


def test_fax_to_an_unreachable_number_fails_sending(sandbox, alice_api):
    sandbox.set_number_state("unreachable", OUTSIDE)
    fax = assert_valid(
        send_form(
            alice_api, [form_field("to", OUTSIDE), file_part("a.txt", b"x", name="attachment")]
        )
    )
    sandbox.advance(5)
    failed = get_message(alice_api, fax["id"])
    assert failed["messageStatus"] == "SendingFailed"
    assert failed["to"][0]["faxErrorCode"] == "NoAnswer"


def test_internal_fax_arrives_in_the_fax_number_owners_mailbox(sandbox, alice_api):
    fax = assert_valid(
        send_form(
            alice_api,
            [form_field("to", MORGAN_FAX), file_part("memo.txt", b"memo", name="attachment")],
        )
    )
    sandbox.advance(5)
    _, admin_api = login_api(sandbox, "admin")
    with admin_api:
        [received] = list_messages(admin_api, messageType="Fax")["records"]
        assert (received["direction"], received["messageStatus"]) == ("Inbound", "Received")
        assert received["from"]["phoneNumber"] == "+16505550101"
        assert received["to"][0]["phoneNumber"] == MORGAN_FAX
        assert received["faxPageCount"] == fax["faxPageCount"]
        assert len(rendered_pdf(admin_api, received).pages) == fax["faxPageCount"]


def test_resend_an_outbound_fax_with_json(sandbox, alice_api):
    original = assert_valid(
        send_form(
            alice_api, [form_field("to", OUTSIDE), file_part("a.txt", b"x", name="attachment")]
        )
    )
    again = assert_valid(
        alice_api.post(
            FAX,
            json={
                "originalMessageId": str(original["id"]),
                "to": [{"phoneNumber": "+12125550188"}],
            },
        )
    )
    assert again["id"] != original["id"]
    assert again["to"][0]["phoneNumber"] == "+12125550188"
    assert again["faxPageCount"] == original["faxPageCount"]
    missing = alice_api.post(FAX, json={"originalMessageId": "123"})
    assert (missing.status_code, error_of(missing)["errorCode"]) == (404, "CMN-102")
    assert len(sandbox.outbox(kind="fax")) == 2


TO = form_field("to", OUTSIDE)
DOC = file_part("a.txt", b"x", name="attachment")


@pytest.mark.parametrize(
    ("parts", "status", "code", "parameter"),
    [
        ([DOC], 400, "CMN-100", "to"),
        ([TO], 400, "CMN-100", "attachment"),
        ([form_field("to", "102"), DOC], 400, "MSG-344", None),
        ([form_field("to", "nope"), DOC], 400, "CMN-101", "to"),
        ([TO, form_field("coverIndex", "14"), DOC], 400, "CMN-101", "coverIndex"),
        ([TO, form_field("coverPageText", "x" * 1025), DOC], 400, "CMN-101", "coverPageText"),
        ([TO, form_field("faxResolution", "Medium"), DOC], 400, "CMN-101", "faxResolution"),
        ([TO, form_field("sendTime", "tomorrow"), DOC], 400, "CMN-101", "sendTime"),
        ([TO, file_part("pic.jfif", b"x", "image/pjpeg", name="attachment")], 415, "MSG-348", None),
        ([TO, file_part("noext", b"x", name="attachment")], 415, "MSG-353", None),
        ([TO, file_part("t.txt", b"", "text/plain", name="attachment")], 400, "MSG-347", None),
    ],
)
def test_refused_fax_writes_nothing(sandbox, alice_api, parts, status, code, parameter):
    response = send_form(alice_api, parts)
    assert response.status_code == status, response.text
    error = error_of(response)
    assert error["errorCode"] == code
    assert error.get("parameterName") == parameter
    assert sandbox.outbox() == []
    assert list_messages(alice_api)["records"] == []


def test_fax_cover_page_dictionary(sandbox, alice_api):
    body = assert_valid(alice_api.get("/restapi/v1.0/dictionary/fax-cover-page"))
    assert [(r["id"], r["name"]) for r in body["records"][:3]] == [
        ("0", "None"),
        ("1", "Ancient"),
        ("2", "Birthday"),
    ]
    assert len(body["records"]) == 14
    assert body["paging"]["totalElements"] == 14
    paged = assert_valid(
        alice_api.get("/restapi/v1.0/dictionary/fax-cover-page", params={"perPage": 5, "page": 3})
    )
    assert [r["id"] for r in paged["records"]] == ["10", "11", "12", "13"]


def test_fax_is_in_the_heavy_group(sandbox, alice_api):
    response = send_form(
        alice_api, [form_field("to", OUTSIDE), file_part("a.txt", b"x", name="attachment")]
    )
    assert response.headers["x-rate-limit-group"] == "heavy"
    assert alice_api.get(f"{MAILBOX}").status_code == 200
