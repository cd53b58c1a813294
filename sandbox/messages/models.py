"""The message store: every extension's SMS/MMS, faxes and voicemails, as RingCentral keeps
them (CONTRACT §8, §10), and how a message is rendered in each response and event body.

A `Message` belongs to one extension's mailbox. An SMS between two extensions of the account is
two messages (the sender's outbound one, the recipient's inbound one) sharing a conversation.
MMS is stored as type `SMS` with `MmsAttachment` attachments, as RingCentral does.

Every change goes through `MessageStore.touch()`, which bumps `lastModifiedTime` (what message
sync and the change events key on).
"""

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox.core.clock import iso
from sandbox.core.parties import caller_info

if TYPE_CHECKING:
    from sandbox.platform import World

MESSAGE_TYPES = ("Fax", "SMS", "VoiceMail", "Pager")
DIRECTIONS = ("Inbound", "Outbound")
READ_STATUSES = ("Read", "Unread")
AVAILABILITIES = ("Alive", "Deleted", "Purged")
FAX_RESOLUTIONS = ("High", "Low")
# Fax cover pages (GET /restapi/v1.0/dictionary/fax-cover-page), id = index.
FAX_COVER_PAGES = (
    "None", "Ancient", "Birthday", "Blank", "Clasmod", "Classic", "Confidential", "Contempo",
    "Elegant", "Express", "Formal", "Jazzy", "Modern", "Urgent",
)  # fmt: skip


@dataclass
class Party:
    """A sender or recipient (`MessageStoreCallerInfoResponseFrom`/`…To`)."""

    phone_number: str | None = None
    name: str | None = None
    location: str | None = None
    extension_id: str | None = None
    extension_number: str | None = None
    # recipients of outbound messages only
    message_status: str | None = None
    delivery_error_code: str | None = None
    fax_error_code: str | None = None
    recipient_id: str | None = None
    target: bool | None = None

    def caller(self) -> dict[str, Any]:
        return caller_info(self)

    def recipient(self) -> dict[str, Any]:
        out = self.caller()
        if self.target is not None:
            out["target"] = self.target
        if self.recipient_id:
            out["recipientId"] = self.recipient_id
        if self.message_status:
            out["messageStatus"] = self.message_status
        if self.fax_error_code:
            out["faxErrorCode"] = self.fax_error_code
        return out

    def notification(self, *, sender: bool) -> dict[str, Any]:
        """`SenderInfo` / `NotificationRecipientInfo` (event bodies)."""
        out: dict[str, Any] = {}
        for key, value in (
            ("phoneNumber", self.phone_number),
            ("extensionNumber", self.extension_number),
            ("name", self.name),
            ("location", self.location),
        ):
            if value:
                out[key] = value
        if not sender and self.target is not None:
            out["target"] = self.target
        return out


@dataclass
class Attachment:
    id: int
    type: str  # Text | MmsAttachment | RenderedDocument | SourceDocument | AudioRecording | …
    content_type: str
    content: bytes
    file_name: str | None = None
    vm_duration: int | None = None
    width: int | None = None
    height: int | None = None

    @property
    def size(self) -> int:
        return len(self.content)


@dataclass(eq=False)
class Message:
    id: int
    extension_id: str  # the mailbox it is in
    type: str  # SMS | Fax | VoiceMail | Pager
    direction: str  # Inbound | Outbound
    sender: Party
    recipients: list[Party]
    creation_time: float
    last_modified_time: float
    message_status: str
    read_status: str = "Unread"
    availability: str = "Alive"
    priority: str = "Normal"
    subject: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    conversation_id: int | None = None
    delivery_error_code: str | None = None
    sms_delivery_time: float | None = None
    sms_sending_attempts: int | None = None
    segment_count: int | None = None
    fax_page_count: int | None = None
    fax_resolution: str | None = None
    cover_index: int | None = None
    cover_page_text: str | None = None
    vm_transcription_status: str | None = None
    telephony_session_id: str | None = None
    send_time: float | None = None  # outbound fax scheduled for later
    mms: bool = False
    pg_to_department: bool | None = None
    peer_message_ids: list[int] = field(default_factory=list)  # internal copies it produced

    @property
    def is_outbound(self) -> bool:
        return self.direction == "Outbound"

    def attachment(self, attachment_id: int) -> Attachment | None:
        return next((a for a in self.attachments if a.id == attachment_id), None)


def conversation_id_for(numbers: list[str]) -> int:
    """A stable positive int64 per set of phone numbers (the same for both mailboxes of an
    internal conversation, and for every message between the same people)."""
    key = "|".join(sorted(set(numbers))).encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:8], "big") & 0x7FFF_FFFF_FFFF_FFFF


# --- rendering -------------------------------------------------------------------------------

# Top-level fields each response schema declares (the spec's validators are strict about it).
SMS_RESPONSE_FIELDS = frozenset(
    {
        "id", "uri", "attachments", "availability", "conversationId", "conversation",
        "creationTime", "direction", "from", "lastModifiedTime", "messageStatus", "priority",
        "readStatus", "smsDeliveryTime", "smsSendingAttemptsCount", "subject", "to", "type",
    }
)  # fmt: skip
FAX_RESPONSE_FIELDS = frozenset(
    {
        "id", "uri", "type", "from", "to", "creationTime", "readStatus", "priority",
        "attachments", "direction", "availability", "messageStatus", "faxResolution",
        "faxPageCount", "lastModifiedTime", "coverIndex", "coverPageText",
    }
)  # fmt: skip
PAGER_RESPONSE_FIELDS = (SMS_RESPONSE_FIELDS - {"smsDeliveryTime", "smsSendingAttemptsCount"}) | {
    "pgToDepartment"
}
FAX_TO_FIELDS = frozenset({"recipientId", "phoneNumber", "name", "messageStatus", "location"})


class Urls:
    """Canonical URIs: API resources on the public host, attachment content on the media host."""

    def __init__(self, world: "World") -> None:
        config = world.platform.config
        self.api = config.public_url
        self.media = config.media_url
        self.account_id = world.account.id_str

    def mailbox(self, extension_id: str) -> str:
        return f"/restapi/v1.0/account/{self.account_id}/extension/{extension_id}/message-store"

    def message(self, msg: Message) -> str:
        return f"{self.api}{self.mailbox(msg.extension_id)}/{msg.id}"

    def content(self, msg: Message, att: Attachment) -> str:
        return f"{self.media}{self.mailbox(msg.extension_id)}/{msg.id}/content/{att.id}"

    def conversation(self, conversation_id: int) -> str:
        return f"{self.api}/restapi/v1.0/conversation/{conversation_id}"


def attachment_json(msg: Message, att: Attachment, urls: Urls, *, int_id: bool = False):
    """`MessageAttachmentInfo` (`MessageAttachmentInfoIntId` spells it `filename`)."""
    out: dict[str, Any] = {
        "id": att.id,
        "uri": urls.content(msg, att),
        "type": att.type,
        "contentType": att.content_type,
        "size": att.size,
    }
    if att.file_name:
        out["filename" if int_id else "fileName"] = att.file_name
    if att.vm_duration is not None and not int_id:
        out["vmDuration"] = att.vm_duration
    if att.width is not None and not int_id:
        out["width"], out["height"] = att.width, att.height
    return out


def message_json(msg: Message, urls: Urls) -> dict[str, Any]:
    """The full `GetMessageInfoResponse`. Deleted and purged messages keep their metadata;
    purged ones lose their attachments."""
    out: dict[str, Any] = {
        "id": msg.id,
        "uri": urls.message(msg),
        "extensionId": msg.extension_id,
        "type": msg.type,
        "direction": msg.direction,
        "from": msg.sender.caller(),
        "to": [r.recipient() for r in msg.recipients],
        "creationTime": iso(msg.creation_time),
        "lastModifiedTime": iso(msg.last_modified_time),
        "readStatus": msg.read_status,
        "priority": msg.priority,
        "availability": msg.availability,
        "messageStatus": msg.message_status,
        "attachments": []
        if msg.availability == "Purged"
        else [attachment_json(msg, a, urls) for a in msg.attachments],
    }
    if msg.subject is not None:
        out["subject"] = msg.subject
    if msg.conversation_id is not None:
        out["conversationId"] = msg.conversation_id
        out["conversation"] = {
            "id": str(msg.conversation_id),
            "uri": urls.conversation(msg.conversation_id),
        }
    optional = (
        ("deliveryErrorCode", msg.delivery_error_code),
        ("segmentCount", msg.segment_count),
        ("smsSendingAttemptsCount", msg.sms_sending_attempts),
        ("faxPageCount", msg.fax_page_count),
        ("faxResolution", msg.fax_resolution),
        ("coverIndex", msg.cover_index),
        ("coverPageText", msg.cover_page_text),
        ("vmTranscriptionStatus", msg.vm_transcription_status),
        ("pgToDepartment", msg.pg_to_department),
    )
    for key, value in optional:
        if value is not None:
            out[key] = value
    if msg.sms_delivery_time is not None:
        out["smsDeliveryTime"] = iso(msg.sms_delivery_time)
    return out


def single_message_json(msg: Message, urls: Urls) -> dict[str, Any]:
    """`GetSingleMessageInfoResponse`: the spec requires `vmSideRecipients` (minItems 1) on a
    single read; the sandbox fills it with the message's recipients."""
    out = message_json(msg, urls)
    out["vmSideRecipients"] = out["to"] or [msg.sender.caller()]
    return out


def sms_response_json(msg: Message, urls: Urls) -> dict[str, Any]:
    """`GetSMSMessageInfoResponse` (POST …/sms and …/mms)."""
    return {k: v for k, v in message_json(msg, urls).items() if k in SMS_RESPONSE_FIELDS}


def pager_response_json(msg: Message, urls: Urls) -> dict[str, Any]:
    """`GetInternalTextMessageInfoResponse` (POST …/company-pager)."""
    return {k: v for k, v in message_json(msg, urls).items() if k in PAGER_RESPONSE_FIELDS}


def fax_response_json(msg: Message, urls: Urls) -> dict[str, Any]:
    """`FaxResponse` (POST …/fax)."""
    out = {k: v for k, v in message_json(msg, urls).items() if k in FAX_RESPONSE_FIELDS}
    out["to"] = [{k: v for k, v in r.items() if k in FAX_TO_FIELDS} for r in out["to"]]
    out["attachments"] = [attachment_json(msg, a, urls, int_id=True) for a in msg.attachments]
    return out


def sync_record_json(msg: Message, urls: Urls) -> dict[str, Any]:
    """A message-sync record: deleted and purged messages carry only `id` and `availability`."""
    if msg.availability != "Alive":
        return {"id": msg.id, "availability": msg.availability}
    return message_json(msg, urls)


def instant_event_json(msg: Message, urls: Urls) -> dict[str, Any]:
    """`InstantMessageEventBody` (inbound SMS/MMS): ids are strings there."""
    out: dict[str, Any] = {
        "id": str(msg.id),
        "to": [r.notification(sender=False) for r in msg.recipients],
        "from": msg.sender.notification(sender=True),
        "type": msg.type,
        "creationTime": iso(msg.creation_time),
        "lastModifiedTime": iso(msg.last_modified_time),
        "readStatus": msg.read_status,
        "priority": msg.priority,
        "attachments": [attachment_json(msg, a, urls) for a in msg.attachments],
        "direction": msg.direction,
        "availability": msg.availability,
        "messageStatus": msg.message_status,
    }
    if msg.subject is not None:
        out["subject"] = msg.subject
    if msg.conversation_id is not None:
        out["conversationId"] = str(msg.conversation_id)
        out["conversation"] = {
            "id": str(msg.conversation_id),
            "uri": urls.conversation(msg.conversation_id),
        }
    return out


def voicemail_event_json(msg: Message, urls: Urls) -> dict[str, Any]:
    """`VoicemailMessageEventBody`: as the spec declares it (integer id, type `Voicemail`)."""
    out: dict[str, Any] = {
        "id": msg.id,
        "to": [r.notification(sender=False) for r in msg.recipients],
        "from": msg.sender.notification(sender=True),
        "type": "Voicemail",
        "creationTime": iso(msg.creation_time),
        "lastModifiedTime": iso(msg.last_modified_time),
        "readStatus": msg.read_status,
        "priority": msg.priority,
        "attachments": [attachment_json(msg, a, urls) for a in msg.attachments],
        "direction": msg.direction,
        "availability": msg.availability,
        "messageStatus": msg.message_status,
        "vmTranscriptionStatus": msg.vm_transcription_status or "NotAvailable",
    }
    if msg.subject is not None:
        out["subject"] = msg.subject
    return out


def fax_event_json(msg: Message, urls: Urls) -> dict[str, Any]:
    """The inbound fax event body, shaped as the official sample (string ids)."""
    out: dict[str, Any] = {
        "id": str(msg.id),
        "from": msg.sender.notification(sender=True),
        "to": [r.notification(sender=False) for r in msg.recipients],
        "type": "Fax",
        "creationTime": iso(msg.creation_time),
        "readStatus": msg.read_status,
        "priority": msg.priority,
        "attachments": [
            {
                "id": str(a.id),
                "uri": urls.content(msg, a),
                "type": a.type,
                "contentType": a.content_type,
                "size": a.size,
            }
            for a in msg.attachments
        ],
        "direction": msg.direction,
        "availability": msg.availability,
        "messageStatus": msg.message_status,
        "faxResolution": msg.fax_resolution,
        "faxPageCount": msg.fax_page_count,
        "lastModifiedTime": iso(msg.last_modified_time),
    }
    if msg.subject is not None:
        out["subject"] = msg.subject
    return out
