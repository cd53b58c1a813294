"""Typed records of RingCentral call-log and message-store entries, as the CRM stores them.

The telephony layer turns RingCentral JSON into these and hands them to
`crm.services.call_log_upsert` / `message_log_upsert`. A field left as `None` means "this
record does not say": the upsert keeps what is stored, so a Simple-view sync followed by a
Detailed one (or a webhook, then a sync) fills a row in rather than blanking it.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

DirectionName = Literal["Inbound", "Outbound"]
MessageTypeName = Literal["SMS", "MMS", "Fax", "VoiceMail", "Pager"]


@dataclass(frozen=True, kw_only=True)
class Party:
    """One end of a call or message (RingCentral's `from` / `to` objects)."""

    phone_number: str = ""
    extension_number: str = ""
    name: str = ""


@dataclass(frozen=True, kw_only=True)
class Recording:
    """A call recording's metadata (`recording` on a call-log record)."""

    id: str
    content_uri: str
    type: str = ""  # Automatic | OnDemand
    duration_seconds: int | None = None


@dataclass(frozen=True, kw_only=True)
class CallLogRecord:
    rc_id: str
    direction: DirectionName
    start_time: datetime
    session_id: str | None = None
    telephony_session_id: str | None = None
    call_type: str | None = None  # Voice | Fax
    action: str | None = None  # Phone Call, VoIP Call, RingOut Web, ...
    result: str | None = None  # Accepted, Call connected, Missed, Voicemail, ...
    reason: str | None = None
    duration_seconds: int | None = None
    from_party: Party | None = None
    to_party: Party | None = None
    agent_id: int | None = None  # the crm.User whose extension took or made the call
    recording: Recording | None = None
    last_modified: datetime | None = None  # RingCentral lastModifiedTime (Detailed view)


@dataclass(frozen=True, kw_only=True)
class MessageAttachment:
    id: str
    uri: str = ""
    type: str = ""  # AudioRecording | AudioTranscription | Text | RenderedDocument | MmsAttachment
    content_type: str = ""
    size: int | None = None
    file_name: str = ""
    vm_duration_seconds: int | None = None


@dataclass(frozen=True, kw_only=True)
class MessageLogRecord:
    rc_id: str
    message_type: MessageTypeName
    direction: DirectionName
    creation_time: datetime
    conversation_id: str | None = None
    status: str | None = None  # Queued | Sent | Delivered | DeliveryFailed | Received ...
    read_status: str | None = None
    subject: str | None = None  # the text of an SMS
    from_party: Party | None = None
    to_parties: tuple[Party, ...] | None = None
    attachments: tuple[MessageAttachment, ...] | None = None
    fax_page_count: int | None = None
    agent_id: int | None = None
    last_modified: datetime | None = None
