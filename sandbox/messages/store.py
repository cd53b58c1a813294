"""The message store of one world and every change to it: creating inbound and outbound
messages, the outbound status timers (Queued → Sent → Delivered, or the failures a scenario
asks for), internal delivery between extensions, read status, delete/purge/restore.

Everything here is synchronous and never awaits, so a change and its events happen together.
Callers (routes, control API, `api.py`) validate first; these functions trust their input.
"""

import bisect
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sandbox.account.models import Extension, PhoneNumber
from sandbox.core.clock import iso
from sandbox.core.media import wav_audio
from sandbox.messages import content as media
from sandbox.messages.events import publish_arrival, publish_changes
from sandbox.messages.models import (
    FAX_COVER_PAGES,
    Attachment,
    Message,
    Party,
    Urls,
    conversation_id_for,
    fax_response_json,
    pager_response_json,
    sms_response_json,
)
from sandbox.messages.numbers import location_of

if TYPE_CHECKING:
    from sandbox.platform import World

NUMBER_STATES = ("unreachable", "blocked", "opted_out")
# deliveryErrorCode / faxErrorCode per scenario state (developer guide, "SMS errors").
DEFAULT_SMS_ERRORS = {"unreachable": "SMS-CAR-412", "opted_out": "SMS-RC-413"}
DEFAULT_FAX_ERRORS = {"unreachable": "NoAnswer", "blocked": "ThePhoneIsBlacklisted"}


@dataclass(frozen=True)
class Upload:
    """A file that came with a message (an MMS attachment, a fax document, …)."""

    content: bytes
    content_type: str
    filename: str | None = None


@dataclass(frozen=True)
class NumberRule:
    """What happens to messages sent to an outside number (set through the control API)."""

    state: str  # unreachable | blocked | opted_out
    error_code: str | None = None


class MessageStore:
    """Every mailbox of the world, indexed by message and by extension."""

    def __init__(self, world: "World") -> None:
        self.world = world
        self.urls = Urls(world)
        self.messages: dict[int, Message] = {}
        self.mailboxes: dict[str, list[Message]] = {}
        self.number_rules: dict[str, NumberRule] = {}
        self.sync_generation: dict[str, int] = {}
        self.sync_secret = world.ids.hex(16).encode()
        self.send_log: dict[tuple[str, str], deque[float]] = {}

    # --- reads ---

    def mailbox(self, extension_id: str) -> list[Message]:
        """The extension's messages, oldest first (by creationTime)."""
        return self.mailboxes.get(extension_id, [])

    def get(self, extension_id: str, message_id: int) -> Message | None:
        msg = self.messages.get(message_id)
        return msg if msg is not None and msg.extension_id == extension_id else None

    # --- writes ---

    def add(self, msg: Message, *, history: bool = False) -> Message:
        """File a new message in its mailbox (kept in creation order) and publish its events.
        A `history` message (back-dated, see `creation_time`) is filed silently: nobody was
        subscribed when it arrived."""
        self.messages[msg.id] = msg
        box = self.mailboxes.setdefault(msg.extension_id, [])
        if box and box[-1].creation_time > msg.creation_time:  # history: keep creation order
            bisect.insort(box, msg, key=lambda m: m.creation_time)
        else:
            box.append(msg)
        if not history:
            publish_changes(self.world, [msg], new=True)
            publish_arrival(self.world, msg, self.urls)
        return msg

    def touch(self, *messages: Message) -> None:
        """Record that these messages changed now (lastModifiedTime, message-store event)."""
        now = self.world.clock.now()
        for msg in messages:
            msg.last_modified_time = max(now, msg.creation_time)
        publish_changes(self.world, list(messages), new=False)

    def new_attachment(self, upload: Upload, kind: str) -> Attachment:
        size = (
            media.image_size(upload.content) if upload.content_type.startswith("image/") else None
        )
        return Attachment(
            id=self.world.ids.numeric(),
            type=kind,
            content_type=upload.content_type,
            content=upload.content,
            file_name=upload.filename,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )

    def sending_rate(self, extension_id: str, kind: str, limit: int, window: float) -> float | None:
        """Count one send by this extension (all apps together); None when allowed, else the
        seconds until the oldest send in the window expires."""
        now = self.world.clock.now()
        hits = self.send_log.setdefault((extension_id, kind), deque())
        while hits and hits[0] <= now - window:
            hits.popleft()
        if len(hits) >= limit:
            return hits[0] + window - now
        hits.append(now)
        return None


def store_of(world: "World") -> MessageStore:
    return world.modules["messages"]


def creation_time(world: "World", at: float | None) -> tuple[float, bool]:
    """When a message is created and whether it is history: `at=None` is now; a time not in
    the future is history (dated then, already in its final state, no events, no timers)."""
    now = world.clock.now()
    if at is None:
        return now, False
    return at, at <= now


# --- parties ----------------------------------------------------------------------------------


def party_for_number(world: "World", e164: str, name: str | None = None) -> Party:
    """A party by phone number: our numbers carry the extension's name."""
    number = world.account.number(e164)
    ext = world.account.extensions.get(number.extension_id or "") if number else None
    return Party(
        phone_number=e164,
        name=name or (ext.name if ext else None),
        location=number.location if number else location_of(e164),
    )


def party_for_extension(ext: Extension, number: PhoneNumber | None) -> Party:
    return Party(
        phone_number=number.phone_number if number else None,
        name=ext.name,
        location=number.location if number else None,
    )


def mailbox_owner(world: "World", e164: str) -> Extension | None:
    """The extension whose mailbox a message to this number of the account lands in."""
    number = world.account.number(e164)
    if number is None or number.extension_id is None:
        return None
    return world.account.extensions.get(number.extension_id)


def primary_number(world: "World", ext: Extension, *, fax: bool = False) -> PhoneNumber | None:
    numbers = world.account.numbers_of(ext.id_str)
    if fax:
        fax_numbers = [n for n in numbers if n.type == "FaxOnly"]
        numbers = fax_numbers or [n for n in numbers if n.type == "VoiceFax"]
    else:
        numbers = [n for n in numbers if n.type != "FaxOnly"]
    return next((n for n in numbers if n.primary), numbers[0] if numbers else None)


# --- SMS / MMS --------------------------------------------------------------------------------


def text_attachment(store: MessageStore, text: str) -> Attachment:
    return store.new_attachment(Upload(text.encode(), "text/plain"), "Text")


def send_sms(
    world: "World",
    *,
    ext: Extension,
    sender: PhoneNumber,
    to_numbers: list[str],
    text: str | None,
    uploads: Sequence[Upload] = (),
    at: float | None = None,
) -> Message:
    """Create an outbound SMS (MMS when there are uploads) in the sender's mailbox, `Queued`,
    and start its status timers. With `at` in the past (history), it is created already
    delivered at that time and nothing is scheduled."""
    store = store_of(world)
    created, history = creation_time(world, at)
    attachments = []
    if text:
        attachments.append(text_attachment(store, text))
    attachments += [store.new_attachment(u, "MmsAttachment") for u in uploads]
    recipients = [party_for_number(world, n) for n in to_numbers]
    for party in recipients:
        party.message_status = "Queued"
        if len(recipients) > 1:
            party.target = True
    msg = Message(
        id=world.ids.numeric(),
        extension_id=ext.id_str,
        type="SMS",
        direction="Outbound",
        sender=party_for_extension(ext, sender),
        recipients=recipients,
        creation_time=created,
        last_modified_time=created,
        message_status="Queued",
        read_status="Read",
        subject=text or "",
        attachments=attachments,
        conversation_id=conversation_id_for([sender.phone_number, *to_numbers]),
        segment_count=media.segment_count(text or "") if not uploads else None,
        mms=bool(uploads),
    )
    store.add(msg, history=history)
    if history:
        _sms_sent(world, msg.id, touch=False)
        _sms_delivered(world, msg.id, touch=False)
    else:
        world.scheduler.call_later(
            world.platform.config.message_sent_delay, _sms_sent, world, msg.id
        )
    return msg


def _live(world: "World", message_id: int) -> Message | None:
    msg = store_of(world).messages.get(message_id)
    return msg if msg is not None and msg.availability != "Purged" else None


def _rule(world: "World", e164: str | None) -> NumberRule | None:
    return store_of(world).number_rules.get(e164 or "")


def _sms_sent(world: "World", message_id: int, *, touch: bool = True) -> None:
    """Queued → Sent (handed to the carrier), or SendingFailed for an opted-out recipient."""
    msg = _live(world, message_id)
    if msg is None:
        return
    msg.sms_sending_attempts = 1
    for party in msg.recipients:
        rule = _rule(world, party.phone_number)
        if rule is not None and rule.state == "opted_out":
            party.message_status = "SendingFailed"
            party.delivery_error_code = rule.error_code or DEFAULT_SMS_ERRORS["opted_out"]
        else:
            party.message_status = "Sent"
    _aggregate_sms_status(msg)
    if touch:
        store_of(world).touch(msg)
        if msg.message_status != "SendingFailed":
            world.scheduler.call_later(
                world.platform.config.message_delivered_delay, _sms_delivered, world, msg.id
            )


def _sms_delivered(world: "World", message_id: int, *, touch: bool = True) -> None:
    """Sent → Delivered (and into the mailbox of an internal recipient), or DeliveryFailed for
    an unreachable number."""
    msg = _live(world, message_id)
    if msg is None:
        return
    now = msg.creation_time if not touch else world.clock.now()
    copy_at = None if touch else msg.creation_time
    for party in msg.recipients:
        if party.message_status != "Sent":
            continue
        rule = _rule(world, party.phone_number)
        if rule is not None and rule.state == "unreachable":
            party.message_status = "DeliveryFailed"
            party.delivery_error_code = rule.error_code or DEFAULT_SMS_ERRORS["unreachable"]
            continue
        party.message_status = "Delivered"
        owner = mailbox_owner(world, party.phone_number or "")
        if owner is not None and owner.id_str != msg.extension_id:
            copy = _receive_copy(world, msg, owner, party.phone_number or "", at=copy_at)
            msg.peer_message_ids.append(copy.id)
    if any(p.message_status == "Delivered" for p in msg.recipients):
        msg.sms_delivery_time = now
    _aggregate_sms_status(msg)
    if touch:
        store_of(world).touch(msg)


def _aggregate_sms_status(msg: Message) -> None:
    statuses = [p.message_status for p in msg.recipients]
    for status in ("Queued", "SendingFailed", "DeliveryFailed", "Sent"):
        if status in statuses:
            break
    else:
        status = "Delivered"
    msg.message_status = status
    failed = next((p for p in msg.recipients if p.delivery_error_code), None)
    msg.delivery_error_code = failed.delivery_error_code if failed else None


def _receive_copy(
    world: "World", original: Message, owner: Extension, to_number: str, *, at: float | None
) -> Message:
    """The inbound copy of an internal SMS in the recipient's mailbox."""
    recipients = [
        Party(phone_number=p.phone_number, name=p.name, location=p.location, target=p.target)
        for p in original.recipients
    ]
    return receive_sms(
        world,
        owner=owner,
        to_number=to_number,
        sender=Party(
            phone_number=original.sender.phone_number,
            name=original.sender.name,
            location=original.sender.location,
        ),
        recipients=recipients,
        text=original.subject or None,
        uploads=[
            Upload(a.content, a.content_type, a.file_name)
            for a in original.attachments
            if a.type == "MmsAttachment"
        ],
        at=at,
    )


def receive_sms(
    world: "World",
    *,
    owner: Extension,
    to_number: str,
    sender: Party,
    text: str | None,
    uploads: Sequence[Upload] = (),
    recipients: list[Party] | None = None,
    at: float | None = None,
    read: bool = False,
) -> Message:
    """An inbound SMS/MMS lands in `owner`'s mailbox (`Received`, `Unread`); events fire
    (unless it is history)."""
    store = store_of(world)
    created, history = creation_time(world, at)
    attachments = []
    if text:
        attachments.append(text_attachment(store, text))
    attachments += [store.new_attachment(u, "MmsAttachment") for u in uploads]
    if recipients is None:
        recipients = [party_for_number(world, to_number)]
    numbers = [sender.phone_number or "", *(p.phone_number or "" for p in recipients)]
    msg = Message(
        id=world.ids.numeric(),
        extension_id=owner.id_str,
        type="SMS",
        direction="Inbound",
        sender=sender,
        recipients=recipients,
        creation_time=created,
        last_modified_time=created,
        message_status="Received",
        read_status="Read" if read else "Unread",
        subject=text or "",
        attachments=attachments,
        conversation_id=conversation_id_for([n for n in numbers if n]),
        segment_count=media.segment_count(text or "") if not uploads else None,
        mms=bool(uploads),
    )
    return store.add(msg, history=history)


# --- fax --------------------------------------------------------------------------------------


def render_fax(
    *,
    documents: list[Upload],
    cover_index: int,
    cover_page_text: str | None,
    sender: Party,
    recipients: list[Party],
    when: str,
) -> tuple[bytes, int]:
    """The fax as transmitted: a cover page (unless index 0), then each document's pages.
    Returns the rendered PDF and its page count."""
    body: list[list[str]] = []
    for doc in documents:
        name = doc.filename or "document"
        if doc.content_type.startswith("text/"):
            body += media.paginate_text(doc.content.decode("utf-8", "replace"))
        elif media.is_pdf(doc.content):
            count = media.pdf_page_count(doc.content)
            body += [[f"{name}", f"page {i} of {count}"] for i in range(1, count + 1)]
        else:
            body.append([f"{name} ({doc.content_type}, {len(doc.content)} bytes)"])
    pages = []
    if cover_index:
        total = len(body) + 1
        cover = [
            f"FAX  -  {FAX_COVER_PAGES[cover_index]} cover page",
            "",
            f"Date: {when}",
            "To: "
            + ", ".join(f"{p.name or ''} {p.phone_number or ''}".strip() for p in recipients),
            f"From: {sender.name or ''} {sender.phone_number or ''}".strip(),
            f"Pages (including cover): {total}",
            "",
        ]
        cover += media.paginate_text(cover_page_text or "")[0]
        pages.append(cover)
    pages += body
    return media.text_pdf(pages), len(pages)


def send_fax(
    world: "World",
    *,
    ext: Extension,
    sender: PhoneNumber,
    recipients: list[tuple[str, str | None]],
    documents: list[Upload],
    resolution: str = "High",
    cover_index: int = 0,
    cover_page_text: str | None = None,
    send_time: float | None = None,
    at: float | None = None,
) -> Message:
    """Create an outbound fax, `Queued` until `send_time` (or now) plus the transmission time,
    then `Sent` (or `SendingFailed` per recipient for numbers a scenario marks)."""
    store = store_of(world)
    now = world.clock.now()
    created, history = creation_time(world, at)
    from_party = party_for_extension(ext, sender)
    to_parties = [party_for_number(world, number, name) for number, name in recipients]
    for party in to_parties:
        party.message_status = "Queued"
        party.recipient_id = str(world.ids.numeric())
    pdf, pages = render_fax(
        documents=documents,
        cover_index=cover_index,
        cover_page_text=cover_page_text,
        sender=from_party,
        recipients=to_parties,
        when=iso(created),
    )
    msg = Message(
        id=world.ids.numeric(),
        extension_id=ext.id_str,
        type="Fax",
        direction="Outbound",
        sender=from_party,
        recipients=to_parties,
        creation_time=created,
        last_modified_time=created,
        message_status="Queued",
        read_status="Read",
        attachments=[
            store.new_attachment(Upload(pdf, "application/pdf", None), "RenderedDocument")
        ],
        fax_page_count=pages,
        fax_resolution=resolution,
        cover_index=cover_index,
        cover_page_text=cover_page_text,
        send_time=send_time,
    )
    store.add(msg, history=history)
    if history:
        _fax_sent(world, msg.id, touch=False)
    else:
        start = max(now, send_time or now)
        world.scheduler.call_at(
            start + world.platform.config.fax_sent_delay, _fax_sent, world, msg.id
        )
    return msg


def _fax_sent(world: "World", message_id: int, *, touch: bool = True) -> None:
    msg = _live(world, message_id)
    if msg is None:
        return
    for party in msg.recipients:
        rule = _rule(world, party.phone_number)
        if rule is not None and rule.state in DEFAULT_FAX_ERRORS:
            party.message_status = "SendingFailed"
            party.fax_error_code = rule.error_code or DEFAULT_FAX_ERRORS[rule.state]
            continue
        party.message_status = "Sent"
        owner = mailbox_owner(world, party.phone_number or "")
        if owner is not None and owner.id_str != msg.extension_id:
            pdf = msg.attachments[0].content
            copy = receive_fax(
                world,
                owner=owner,
                to_number=party.phone_number or "",
                sender=Party(phone_number=msg.sender.phone_number, name=msg.sender.name),
                document=pdf,
                pages=msg.fax_page_count or 1,
                resolution=msg.fax_resolution or "High",
                at=None if touch else msg.creation_time,
            )
            msg.peer_message_ids.append(copy.id)
    statuses = [p.message_status for p in msg.recipients]
    msg.message_status = "SendingFailed" if "SendingFailed" in statuses else "Sent"
    if touch:
        store_of(world).touch(msg)


def receive_fax(
    world: "World",
    *,
    owner: Extension,
    to_number: str,
    sender: Party,
    document: bytes | None = None,
    pages: int = 1,
    resolution: str = "High",
    at: float | None = None,
    read: bool = False,
) -> Message:
    """An inbound fax (`RenderedDocument` PDF) lands in `owner`'s mailbox. Without a document,
    one of `pages` pages is rendered."""
    store = store_of(world)
    created, history = creation_time(world, at)
    if document is None:
        who = sender.name or sender.phone_number or "unknown sender"
        document = media.text_pdf(
            [[f"Fax from {who}", f"page {i} of {pages}"] for i in range(1, pages + 1)]
        )
    else:
        pages = media.pdf_page_count(document)
    msg = Message(
        id=world.ids.numeric(),
        extension_id=owner.id_str,
        type="Fax",
        direction="Inbound",
        sender=sender,
        recipients=[party_for_number(world, to_number)],
        creation_time=created,
        last_modified_time=created,
        message_status="Received",
        read_status="Read" if read else "Unread",
        subject=sender.phone_number or "",
        attachments=[
            store.new_attachment(Upload(document, "application/pdf", None), "RenderedDocument")
        ],
        fax_page_count=pages,
        fax_resolution=resolution,
    )
    return store.add(msg, history=history)


# --- voicemail --------------------------------------------------------------------------------


def receive_voicemail(
    world: "World",
    *,
    owner: Extension,
    sender: Party,
    duration_s: int,
    transcription: str | None = None,
    telephony_session_id: str | None = None,
    at: float | None = None,
    read: bool = False,
) -> Message:
    """A voicemail (`AudioRecording`, a real WAV of `duration_s`) lands in `owner`'s mailbox.
    With a transcription it is `InProgress` and completes after
    `voicemail_transcription_delay` (adding the `AudioTranscription` text); history (`at` in
    the past) is created completed."""
    store = store_of(world)
    created, history = creation_time(world, at)
    msg_id = world.ids.numeric()
    audio = store.new_attachment(
        Upload(wav_audio(duration_s, seed=msg_id), "audio/x-wav", None), "AudioRecording"
    )
    audio.vm_duration = duration_s
    number = primary_number(world, owner)
    msg = Message(
        id=msg_id,
        extension_id=owner.id_str,
        type="VoiceMail",
        direction="Inbound",
        sender=sender,
        recipients=[party_for_extension(owner, number)],
        creation_time=created,
        last_modified_time=created,
        message_status="Received",
        read_status="Read" if read else "Unread",
        subject=f"Voice Message from {sender.name or sender.phone_number or 'Unknown'}",
        attachments=[audio],
        vm_transcription_status="NotAvailable" if transcription is None else "InProgress",
        telephony_session_id=telephony_session_id,
    )
    if transcription is not None and history:
        _add_transcription(store, msg, transcription)
    store.add(msg, history=history)
    if transcription is not None and not history:
        world.scheduler.call_later(
            world.platform.config.voicemail_transcription_delay,
            _transcribed,
            world,
            msg.id,
            transcription,
        )
    return msg


def _add_transcription(store: MessageStore, msg: Message, text: str) -> None:
    msg.attachments.append(
        store.new_attachment(Upload(text.encode(), "text/plain"), "AudioTranscription")
    )
    msg.vm_transcription_status = "Completed"


def _transcribed(world: "World", message_id: int, text: str) -> None:
    msg = _live(world, message_id)
    if msg is None:
        return
    store = store_of(world)
    _add_transcription(store, msg, text)
    store.touch(msg)


# --- mailbox changes --------------------------------------------------------------------------


def set_read_status(world: "World", messages: list[Message], read_status: str) -> None:
    changed = [m for m in messages if m.read_status != read_status]
    for msg in changed:
        msg.read_status = read_status
    if changed:
        store_of(world).touch(*changed)


def delete_messages(world: "World", messages: list[Message], *, purge: bool) -> None:
    """First delete → `Deleted` (restorable); a second one, or `purge`, → `Purged`
    (attachments gone)."""
    for msg in messages:
        msg.availability = "Purged" if purge or msg.availability != "Alive" else "Deleted"
    if messages:
        store_of(world).touch(*messages)


def restore_messages(world: "World", messages: list[Message]) -> None:
    changed = [m for m in messages if m.availability == "Deleted"]
    for msg in changed:
        msg.availability = "Alive"
    if changed:
        store_of(world).touch(*changed)


def record_outbox(world: "World", msg: Message) -> None:
    """Record an outbound SMS/MMS/fax/pager message in the outbox, with the JSON the sender
    got back."""
    urls = store_of(world).urls
    if msg.type == "Fax":
        kind, payload = "fax", fax_response_json(msg, urls)
    elif msg.type == "Pager":
        kind, payload = "pager", pager_response_json(msg, urls)
    else:
        kind, payload = ("mms" if msg.mms else "sms"), sms_response_json(msg, urls)
    world.outbox.record(kind, extension_id=msg.extension_id, payload=payload)


# --- pager (company-internal text) ------------------------------------------------------------


def extension_party(ext: Extension) -> Party:
    return Party(extension_number=ext.extension_number, extension_id=ext.id_str, name=ext.name)


def send_pager(
    world: "World",
    *,
    ext: Extension,
    recipients: list[Extension],
    text: str,
    at: float | None = None,
) -> Message:
    """A company pager message: `Sent` in the sender's mailbox and, at once, `Received` in
    every recipient's (internal only: no carrier, no timers)."""
    store = store_of(world)
    created, history = creation_time(world, at)
    conversation = conversation_id_for(["pager", ext.id_str, *(r.id_str for r in recipients)])

    def message(owner: Extension, direction: str) -> Message:
        to = [extension_party(r) for r in recipients]
        for party in to:
            party.message_status = "Sent" if direction == "Outbound" else None
        return Message(
            id=world.ids.numeric(),
            extension_id=owner.id_str,
            type="Pager",
            direction=direction,
            sender=extension_party(ext),
            recipients=to,
            creation_time=created,
            last_modified_time=created,
            message_status="Sent" if direction == "Outbound" else "Received",
            read_status="Read" if direction == "Outbound" else "Unread",
            subject=text,
            attachments=[text_attachment(store, text)],
            conversation_id=conversation,
            pg_to_department=any(r.type == "Department" for r in recipients),
        )

    msg = store.add(message(ext, "Outbound"), history=history)
    for recipient in recipients:
        if recipient.id_str != ext.id_str:
            inbound = store.add(message(recipient, "Inbound"), history=history)
            msg.peer_message_ids.append(inbound.id)
    return msg
