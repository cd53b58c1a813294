"""The messaging module in process: the Python API other modules call (voice, traffic
generator, demo seed) and the content helpers (PDF, segments, numbers, images)."""

import io

import pytest
from pypdf import PdfReader

from sandbox.messages import api
from sandbox.messages.content import image_size, pdf_page_count, segment_count, text_pdf
from sandbox.messages.numbers import parse_number
from tests.sandbox.inprocess import new_world, published
from tests.sandbox.messaging import PNG
from tests.support.openapi import validate_schema


@pytest.fixture
def world():
    return new_world()


def ext(world, number: str):
    return next(e for e in world.account.extensions.values() if e.extension_number == number)


def test_leave_voicemail_creates_a_real_recording_and_publishes(world):
    alice = ext(world, "101")
    events = published(world)
    msg = api.leave_voicemail(
        world,
        extension_id=alice.id_str,
        from_number="+14155550123",
        from_name="Jane Roe",
        duration_s=9,
        telephony_session_id="s-abc",
    )
    assert (msg.type, msg.extension_id, msg.telephony_session_id) == (
        "VoiceMail",
        alice.id_str,
        "s-abc",
    )
    [audio] = msg.attachments
    assert (audio.type, audio.content_type, audio.vm_duration) == (
        "AudioRecording",
        "audio/x-wav",
        9,
    )
    assert audio.content.startswith(b"RIFF")
    assert [e.kind for e in events] == ["message-store", "voicemail"]
    body = api.message_json_for(world, msg)
    validate_schema("GetMessageInfoResponse", body)
    assert body["uri"] == api.message_uri(world, msg)
    assert body["vmTranscriptionStatus"] == "NotAvailable"


def test_history_is_created_in_its_final_state_without_timers_or_events(world):
    alice, ben = ext(world, "101"), ext(world, "102")
    past = world.clock.now() - 3 * 86400
    pending = world.scheduler.pending()
    events = published(world)
    sent = api.send_sms(
        world, extension_id=alice.id_str, to_numbers=["+16505550102"], text="hi", at=past
    )
    voicemail = api.leave_voicemail(
        world,
        extension_id=ben.id_str,
        from_number="+14155550123",
        from_name=None,
        duration_s=3,
        telephony_session_id=None,
        transcription="hello",
        at=past,
    )
    fax = api.receive_fax(world, to_number="+16505550199", from_number=CALLER, at=past)
    sms = api.receive_sms(world, to_number="+16505550101", from_number=CALLER, text="x", at=past)
    assert world.scheduler.pending() == pending
    assert events == []
    assert (fax.creation_time, sms.creation_time, sms.read_status) == (past, past, "Unread")
    assert (sent.message_status, sent.creation_time, sent.sms_delivery_time) == (
        "Delivered",
        past,
        past,
    )
    [copy_id] = sent.peer_message_ids
    copy = world.modules["messages"].messages[copy_id]
    assert (copy.extension_id, copy.direction, copy.creation_time) == (ben.id_str, "Inbound", past)
    assert voicemail.vm_transcription_status == "Completed"
    assert [a.type for a in voicemail.attachments] == ["AudioRecording", "AudioTranscription"]
    assert [e["kind"] for e in (x.as_dict() for x in world.outbox.query())] == ["sms"]


def test_an_internal_sms_reaches_the_colleague_live_with_its_events(world):
    alice, ben = ext(world, "101"), ext(world, "102")
    events = published(world)
    api.send_sms(world, extension_id=alice.id_str, to_numbers=["+16505550102"], text="hi")
    for _ in range(2):  # Sent, then Delivered
        world.clock.advance(5)
        world.scheduler.run_due()
    assert [e.kind for e in events if e.extension_id == ben.id_str] == [
        "message-store",
        "message-store-instant",
    ]


def test_receive_sms_and_fax_and_send_fax(world):
    alice = ext(world, "101")
    sms = api.receive_sms(
        world,
        to_number="6505550101",
        from_number="+14155550123",
        text=None,
        attachments=[api.Upload(PNG, "image/png", "p.png")],
    )
    assert (sms.extension_id, sms.mms, sms.attachments[0].width) == (alice.id_str, True, 1)
    fax = api.receive_fax(world, to_number="+16505550199", from_number="+14155550123", pages=4)
    assert (fax.extension_id, fax.fax_page_count) == (ext(world, "106").id_str, 4)
    sent = api.send_fax(
        world,
        extension_id=alice.id_str,
        to_numbers=["+14155550123"],
        documents=[api.Upload(b"page text", "text/plain", "a.txt")],
        cover_index=1,
    )
    assert (sent.message_status, sent.fax_page_count) == ("Queued", 2)


CALLER = "+14155550123"


@pytest.mark.parametrize(
    "call",
    [
        lambda w: api.leave_voicemail(
            w,
            extension_id="1",
            from_number=CALLER,
            from_name=None,
            duration_s=5,
            telephony_session_id=None,
        ),
        lambda w: api.receive_sms(w, to_number="+14155550000", from_number=CALLER, text="x"),
        lambda w: api.receive_sms(w, to_number="+16505550101", from_number="bogus", text="x"),
        lambda w: api.send_sms(w, extension_id=ext(w, "104").id_str, to_numbers=[CALLER], text="x"),
        lambda w: api.receive_fax(w, to_number="+16505550199", from_number=CALLER, pages=0),
    ],
)
def test_bad_requests_raise_messaging_error(world, call):
    with pytest.raises(api.MessagingError):
        call(world)


def test_text_pdf_is_a_real_pdf():
    pdf = text_pdf([["Hello (world) \\ back"], ["second page"]])
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 2
    assert "Hello (world) \\ back" in reader.pages[0].extract_text()
    assert pdf_page_count(pdf) == 2


@pytest.mark.parametrize(
    ("text", "segments"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("é" * 160, 1),
        ("😀" * 35, 1),
        ("😀" * 36, 2),
    ],
)
def test_segment_count_follows_gsm7_and_ucs2(text, segments):
    assert segment_count(text) == segments


@pytest.mark.parametrize(
    ("raw", "e164", "short"),
    [
        ("+16505550101", "+16505550101", False),
        ("16505550101", "+16505550101", False),
        ("(650) 555-0101", "+16505550101", False),
        ("101", None, True),
        ("555555", None, True),
        ("hello", None, False),
        ("+1", None, False),
    ],
)
def test_parse_number(raw, e164, short):
    parsed = parse_number(raw)
    assert (parsed.e164, parsed.short) == (e164, short)


def test_image_size_of_png():
    assert image_size(PNG) == (1, 1)
    assert image_size(b"not an image") is None
