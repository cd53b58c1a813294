"""The messaging module's Python API for the rest of the sandbox: the voice engine (a call that
goes to voicemail), the traffic generator and the `demo` seed. Keep these signatures stable.

    msg = leave_voicemail(world, extension_id=ext_id, from_number="+14155550123",
                          from_name="Jane Doe", duration_s=12, telephony_session_id=tsid)
    msg.id, message_uri(world, msg)          # e.g. for the call log's `message` block

    receive_sms(world, to_number="+16505550101", from_number="+14155550123", text="Hi")
    send_sms(world, extension_id=ext_id, to_numbers=["+14155550123"], text="On my way")
    receive_fax(world, to_number="+16505550199", from_number="+14155550123", pages=2)

Every function creates the message exactly as the REST API would (ids, conversation, events,
status timers). `at=<epoch seconds in the past>` creates history instead: the message is dated
then, already in its final state (delivered / transcribed), no event fires and no timer runs.
Bad input raises `MessagingError` (a ValueError); the REST routes do their own validation with
RingCentral's error codes.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sandbox.messages import store as services
from sandbox.messages.models import FAX_COVER_PAGES, FAX_RESOLUTIONS, Message, message_json
from sandbox.messages.numbers import parse_number
from sandbox.messages.store import Party, Upload, store_of

if TYPE_CHECKING:
    from sandbox.account.models import Extension
    from sandbox.platform import World

# Bounds that keep generated media small (a voicemail's WAV is built at once, 16 kB a second).
MAX_VOICEMAIL_S = 600
MAX_FAX_PAGES = 200

__all__ = [
    "Message",
    "MessagingError",
    "Upload",
    "find_message",
    "leave_voicemail",
    "mark_read",
    "message_json_for",
    "message_uri",
    "receive_fax",
    "receive_sms",
    "send_fax",
    "send_sms",
]


class MessagingError(ValueError):
    """The request cannot become a message (unknown extension or number, bad input)."""


def _extension(world: "World", extension_id: str) -> "Extension":
    ext = world.account.extensions.get(str(extension_id))
    if ext is None:
        raise MessagingError(f"no extension {extension_id}")
    return ext


def _e164(raw: str, what: str) -> str:
    parsed = parse_number(raw)
    if parsed.e164 is None:
        raise MessagingError(f"{what} {raw!r} is not a phone number")
    return parsed.e164


def _owner(world: "World", to_number: str) -> "Extension":
    owner = services.mailbox_owner(world, to_number)
    if owner is None:
        raise MessagingError(f"{to_number} is not a number of this account")
    return owner


def leave_voicemail(
    world: "World",
    *,
    extension_id: str,
    from_number: str,
    from_name: str | None,
    duration_s: int,
    telephony_session_id: str | None,
    transcription: str | None = None,
    at: float | None = None,
) -> Message:
    """A caller left a voicemail of `duration_s` seconds for the extension: the message (a real
    WAV `AudioRecording` with `vmDuration`) lands in its mailbox and the voicemail and
    message-store events fire. `from_number` may be an outside number or one of the account's.
    With `transcription`, `vmTranscriptionStatus` goes `InProgress` → `Completed` and an
    `AudioTranscription` attachment is added."""
    owner = _extension(world, extension_id)
    if not 1 <= duration_s <= MAX_VOICEMAIL_S:
        raise MessagingError(f"a voicemail lasts 1 to {MAX_VOICEMAIL_S} seconds")
    sender = services.party_for_number(world, _e164(from_number, "from_number"), from_name)
    return services.receive_voicemail(
        world,
        owner=owner,
        sender=sender,
        duration_s=int(duration_s),
        transcription=transcription,
        telephony_session_id=telephony_session_id,
        at=at,
    )


def receive_sms(
    world: "World",
    *,
    to_number: str,
    from_number: str,
    text: str | None,
    from_name: str | None = None,
    attachments: Sequence[Upload] = (),
    at: float | None = None,
    read: bool = False,
) -> Message:
    """An outside number texts one of the account's numbers (an MMS when `attachments` are
    given): the inbound message lands in the owning extension's mailbox, with the instant-SMS
    and message-store events."""
    if not text and not attachments:
        raise MessagingError("an SMS needs text or attachments")
    to_e164 = _e164(to_number, "to_number")
    owner = _owner(world, to_e164)
    sender = services.party_for_number(world, _e164(from_number, "from_number"), from_name)
    return services.receive_sms(
        world,
        owner=owner,
        to_number=to_e164,
        sender=sender,
        text=text,
        uploads=list(attachments),
        at=at,
        read=read,
    )


def send_sms(
    world: "World",
    *,
    extension_id: str,
    to_numbers: Sequence[str],
    text: str | None,
    from_number: str | None = None,
    attachments: Sequence[Upload] = (),
    at: float | None = None,
    outbox: bool = True,
) -> Message:
    """The extension sends an SMS (MMS with `attachments`) as `POST …/sms` would, from
    `from_number` or its first SMS-capable number; recorded in the outbox like an API send
    unless `outbox=False` (the user texted from their own phone, not through the app)."""
    ext = _extension(world, extension_id)
    feature = "MmsSender" if attachments else "SmsSender"
    numbers = [n for n in world.account.numbers_of(ext.id_str) if feature in n.features]
    if from_number is not None:
        numbers = [n for n in numbers if n.phone_number == _e164(from_number, "from_number")]
    if not numbers:
        raise MessagingError(f"extension {ext.extension_number} has no {feature} number")
    recipients = [_e164(n, "to_numbers") for n in to_numbers]
    if not recipients or (not text and not attachments):
        raise MessagingError("an SMS needs recipients and text or attachments")
    msg = services.send_sms(
        world,
        ext=ext,
        sender=numbers[0],
        to_numbers=recipients,
        text=text,
        uploads=list(attachments),
        at=at,
    )
    if outbox:
        services.record_outbox(world, msg)
    return msg


def receive_fax(
    world: "World",
    *,
    to_number: str,
    from_number: str,
    pages: int = 1,
    document: bytes | None = None,
    resolution: str = "High",
    from_name: str | None = None,
    at: float | None = None,
    read: bool = False,
) -> Message:
    """An outside fax machine sends `pages` pages (or the given PDF `document`) to one of the
    account's numbers; the fax and message-store events fire."""
    if not 1 <= pages <= MAX_FAX_PAGES:
        raise MessagingError(f"a fax has 1 to {MAX_FAX_PAGES} pages")
    if resolution not in FAX_RESOLUTIONS:
        raise MessagingError(f"resolution is one of {', '.join(FAX_RESOLUTIONS)}")
    to_e164 = _e164(to_number, "to_number")
    owner = _owner(world, to_e164)
    sender = Party(phone_number=_e164(from_number, "from_number"), name=from_name)
    return services.receive_fax(
        world,
        owner=owner,
        to_number=to_e164,
        sender=sender,
        document=document,
        pages=pages,
        resolution=resolution,
        at=at,
        read=read,
    )


def send_fax(
    world: "World",
    *,
    extension_id: str,
    to_numbers: Sequence[str],
    documents: Sequence[Upload],
    cover_index: int = 0,
    cover_page_text: str | None = None,
    resolution: str = "High",
    at: float | None = None,
    outbox: bool = True,
) -> Message:
    """The extension faxes `documents` as `POST …/fax` would; recorded in the outbox unless
    `outbox=False` (sent from the user's own fax app, not through ours)."""
    ext = _extension(world, extension_id)
    sender = services.primary_number(world, ext, fax=True)
    if resolution not in FAX_RESOLUTIONS or not 0 <= cover_index < len(FAX_COVER_PAGES):
        raise MessagingError("bad resolution or cover index")
    if sender is None or not documents:
        raise MessagingError("a fax needs a fax-capable number and at least one document")
    msg = services.send_fax(
        world,
        ext=ext,
        sender=sender,
        recipients=[(_e164(n, "to_numbers"), None) for n in to_numbers],
        documents=list(documents),
        resolution=resolution,
        cover_index=cover_index,
        cover_page_text=cover_page_text,
        at=at,
    )
    if outbox:
        services.record_outbox(world, msg)
    return msg


def find_message(world: "World", message_id: int | str) -> Message | None:
    """A message of any mailbox by id (e.g. the voicemail a call-log record links)."""
    try:
        return store_of(world).messages.get(int(message_id))
    except ValueError:
        return None


def mark_read(world: "World", msg: Message, *, at: float | None = None) -> None:
    """The owner read the message: `readStatus` `Read` with its message-store event, or, with
    `at` in the past (history), read back then, silently."""
    if at is None:
        services.set_read_status(world, [msg], "Read")
        return
    if at > world.clock.now():
        raise MessagingError("history is read in the past")
    msg.read_status = "Read"
    msg.last_modified_time = max(msg.last_modified_time, at)


def message_uri(world: "World", msg: Message) -> str:
    """The message's canonical `uri` (what the call log's `message.uri` points at)."""
    return store_of(world).urls.message(msg)


def message_json_for(world: "World", msg: Message) -> dict[str, Any]:
    """The message as `GET …/message-store/{id}` lists it (`GetMessageInfoResponse`)."""
    return message_json(msg, store_of(world).urls)
