"""Writes of the CRM: contacts, companies, notes, and the RingCentral call and message logs.

Every function takes keyword-only, typed arguments, validates what it is given (raising
`ValidationError` with messages a person can act on) and keeps the denormalised columns
(`search_text`, `last_activity_at`) in step. Activity timestamps only ever move forward, with
GREATEST in the database, never read-modify-write. Each change to a contact is logged
(`ContactChange`: who, through what, each value before and after) in the change's transaction.
"""

from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import DateTimeField, F, Max, Model, Value
from django.db.models.functions import Greatest

from crm.matching import contact_match_number, logs_matching_phones_q
from crm.models import (
    CallLog,
    Company,
    Contact,
    ContactChange,
    ContactPhone,
    Direction,
    Disposition,
    MessageLog,
    Note,
    User,
)
from crm.phones import InvalidPhoneNumber, NormalisedPhone, format_international, phone_normalise
from crm.records import CallLogRecord, MessageLogRecord, Party
from crm.roles import may_change_owner
from crm.upsert import upsert_by_rc_id

NOTE_MAX_LENGTH = 10_000
EMAIL_MAX_LENGTH: int = Contact._meta.get_field("email").max_length or 254


@dataclass(frozen=True, kw_only=True)
class CompanyData:
    name: str
    domain: str = ""
    industry: str = ""
    phone: str = ""
    address: str = ""
    description: str = ""


@dataclass(frozen=True, kw_only=True)
class ContactData:
    first_name: str = ""
    last_name: str = ""
    title: str = ""
    company: Company | None = None
    email: str = ""
    secondary_email: str = ""
    owner: User | None = None
    status: str = Contact.Status.LEAD


COMPANY_EDITABLE_FIELDS = tuple(f.name for f in fields(CompanyData))
CONTACT_EDITABLE_FIELDS = tuple(f.name for f in fields(ContactData))


@dataclass(frozen=True)
class PhoneInput:
    raw: str
    kind: str = ContactPhone.Kind.MOBILE


# --- Phones ----------------------------------------------------------------------------------


def phones_normalise(*, phones: Iterable[PhoneInput]) -> list[tuple[PhoneInput, NormalisedPhone]]:
    """Normalise a contact's numbers, skipping blank ones.

    Raises ValidationError listing every invalid or repeated number, each with the reason.
    """
    errors: list[str] = []
    seen: set[str] = set()
    valid: list[tuple[PhoneInput, NormalisedPhone]] = []
    for phone in phones:
        if not phone.raw.strip():
            continue
        if phone.kind not in ContactPhone.Kind.values:
            errors.append(f"'{phone.kind}' is not a phone type")
            continue
        try:
            normalised = phone_normalise(phone.raw)
        except InvalidPhoneNumber as exc:
            errors.append(f"'{phone.raw.strip()}' {exc}")
            continue
        if normalised.e164 in seen:
            errors.append(f"'{phone.raw.strip()}' is listed twice ({normalised.international})")
            continue
        seen.add(normalised.e164)
        valid.append((phone, normalised))
    if errors:
        raise ValidationError(errors)
    return valid


def _phone_row(contact: Contact, kind: str, normalised: NormalisedPhone) -> ContactPhone:
    return ContactPhone(
        contact=contact,
        kind=kind,
        raw=normalised.raw,
        e164=normalised.e164,
        national_number=normalised.national_number,
        country_assumed=normalised.country_assumed,
        tail=normalised.tail,
    )


# --- Companies -------------------------------------------------------------------------------


def _company_search_text(company: Company) -> str:
    return " ".join(p for p in (company.name, company.domain, company.industry) if p).lower()


def _validate_company(data: CompanyData, *, instance: Company | None = None) -> None:
    name = data.name.strip()
    if not name:
        raise ValidationError({"name": "Enter the company's name."})
    taken = Company.objects.filter(name__iexact=name)
    if instance is not None:
        taken = taken.exclude(pk=instance.pk)
    if taken.exists():
        raise ValidationError({"name": f"A company named '{name}' already exists."})


def company_create(*, data: CompanyData) -> Company:
    _validate_company(data)
    company = Company(**{**asdict(data), "name": data.name.strip()})
    company.search_text = _company_search_text(company)
    company.save()
    return company


@transaction.atomic
def company_update(*, company: Company, data: CompanyData) -> Company:
    """Update a company; a rename also refreshes its contacts' search text."""
    _validate_company(data, instance=company)
    renamed = company.name != data.name.strip()
    for name, value in asdict(data).items():
        setattr(company, name, value.strip() if name == "name" else value)
    company.search_text = _company_search_text(company)
    company.save(update_fields=[*COMPANY_EDITABLE_FIELDS, "search_text", "updated_at"])
    if renamed:
        contacts_refresh_search_text(contacts=company.contacts.select_related("company"))
    return company


@transaction.atomic
def company_delete(*, company: Company, by: User | None, via: str = ContactChange.Via.APP) -> None:
    """Delete a company; its contacts stay, without a company, each with the change logged."""
    contact_ids = list(company.contacts.values_list("pk", flat=True))
    company.delete()
    contacts_refresh_search_text(contacts=Contact.objects.filter(pk__in=contact_ids))
    change = [{"field": "company", "old": company.name, "new": ""}]
    ContactChange.objects.bulk_create(
        ContactChange(
            contact_id=contact_id,
            by=by,
            action=ContactChange.Action.UPDATED,
            via=via,
            changes=change,
        )
        for contact_id in contact_ids
    )


def company_get_or_create(*, name: str) -> Company:
    """The company with this name (any letter case), created if there is none. Safe under
    concurrency: the case-insensitive unique constraint decides."""
    name = name.strip()
    company, created = Company.objects.get_or_create(name__iexact=name, defaults={"name": name})
    if created:
        company.search_text = _company_search_text(company)
        Company.objects.filter(pk=company.pk).update(search_text=company.search_text)
    return company


# --- Contacts --------------------------------------------------------------------------------


def contact_search_text(contact: Contact) -> str:
    parts = (
        contact.first_name,
        contact.last_name,
        contact.title,
        contact.email,
        contact.secondary_email,
        contact.company.name if contact.company else "",
    )
    return " ".join(p for p in parts if p).lower()


def contacts_refresh_search_text(*, contacts: Iterable[Contact]) -> int:
    """Recompute `search_text` for these contacts (load them with their company)."""
    batch: list[Contact] = []
    count = 0
    for contact in contacts:
        contact.search_text = contact_search_text(contact)
        batch.append(contact)
        if len(batch) == 1000:
            count += Contact.objects.bulk_update(batch, ["search_text"])
            batch = []
    if batch:
        count += Contact.objects.bulk_update(batch, ["search_text"])
    return count


def _validate_contact(data: ContactData) -> None:
    errors: dict[str, str] = {}
    if not (data.first_name.strip() or data.last_name.strip()):
        errors["first_name"] = "Enter a first or last name."
    for name in ("email", "secondary_email"):
        value = getattr(data, name).strip()
        if len(value) > EMAIL_MAX_LENGTH:
            errors[name] = f"Emails are at most {EMAIL_MAX_LENGTH} characters."
        elif value:
            try:
                validate_email(value)
            except ValidationError:
                errors[name] = f"'{value}' is not an email address."
    if data.status not in Contact.Status.values:
        errors["status"] = f"'{data.status}' is not a status."
    if errors:
        raise ValidationError(errors)


def _apply_contact_data(contact: Contact, data: ContactData) -> None:
    for name, value in asdict(data).items():
        if name in ("company", "owner"):
            continue
        setattr(contact, name, value.strip())
    contact.company = data.company
    contact.owner = data.owner


# A contact's state as its change log shows it: field -> value as shown, and "phone:<E.164>" ->
# the number and its type.
ContactState = dict[str, str]


def _person(user: User | None) -> str:
    return str(user) if user is not None else ""


def _contact_state(contact: Contact, phones: Iterable[ContactPhone]) -> ContactState:
    """Read with the contact's company and owner loaded (or set), and its phone rows."""
    state = {
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "title": contact.title,
        "company": contact.company.name if contact.company else "",
        "email": contact.email,
        "secondary_email": contact.secondary_email,
        "status": contact.get_status_display(),
        "owner": _person(contact.owner),
    }
    for phone in phones:
        kind = ContactPhone.Kind(phone.kind).label
        state[f"phone:{phone.e164}"] = f"{format_international(phone.e164)} ({kind})"
    return state


def _state_changes(before: ContactState, after: ContactState) -> list[dict[str, str]]:
    changes = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key, ""), after.get(key, "")
        if old != new:
            field = "phone" if key.startswith("phone:") else key
            changes.append({"field": field, "old": old, "new": new})
    return changes


def contact_lock_for_change(*, contact_id: int) -> Contact:
    """Lock a contact's row until the transaction ends and return it as committed now, with its
    company and owner.

    A change is logged against the values it replaces, and an owner check compares with the
    stored owner: of two edits at once, the second waits and is logged (and checked) against
    what the first wrote. Raises ValidationError when the contact was deleted meanwhile.
    """
    contact = (
        Contact.objects.select_for_update(of=("self",))
        .select_related("company", "owner")
        .filter(pk=contact_id)
        .first()
    )
    if contact is None:
        raise ValidationError("This contact was deleted meanwhile; nothing was saved.")
    return contact


def contact_change_begin(*, contact_id: int) -> ContactState:
    """Lock a contact for a change made outside these services (Django admin) and return its
    state now, for `contact_change_record` once the change is written."""
    contact = contact_lock_for_change(contact_id=contact_id)
    return _contact_state(contact, ContactPhone.objects.filter(contact_id=contact_id))


def contact_change_record(
    *, contact_id: int, before: ContactState | None, by: User | None, via: str
) -> ContactChange | None:
    """Log a change written outside these services, from the state `contact_change_begin`
    returned (None: the contact was created). Nothing is logged when nothing changed."""
    contact = Contact.objects.select_related("company", "owner").get(pk=contact_id)
    after = _contact_state(contact, ContactPhone.objects.filter(contact_id=contact_id))
    return _log_change(contact=contact, before=before, after=after, by=by, via=via)


def _log_change(
    *,
    contact: Contact,
    before: ContactState | None,
    after: ContactState,
    by: User | None,
    via: str,
) -> ContactChange | None:
    changes = _state_changes(before or {}, after)
    if not changes:
        return None
    action = ContactChange.Action.CREATED if before is None else ContactChange.Action.UPDATED
    return ContactChange.objects.create(
        contact=contact, by=by, action=action, via=via, changes=changes
    )


OWNER_CHANGE_REFUSED = "Only supervisors and admins can change a contact's owner."
OWNER_GIFT_REFUSED = (
    "Only supervisors and admins can give a contact to someone else; your new contacts are yours."
)


def owner_change_refusal(
    *, by: User | None, owner_id: int | None, stored_owner_id: int | None, creating: bool
) -> str | None:
    """Why `by` may not give a contact this owner, or None when they may. Agents keep a
    contact's owner as it is, and own (or leave unowned) the contacts they create. `by` None is
    code acting for no one (a seed, a script)."""
    if by is None or may_change_owner(by):
        return None
    if creating:
        return None if owner_id in (None, by.pk) else OWNER_GIFT_REFUSED
    return None if owner_id == stored_owner_id else OWNER_CHANGE_REFUSED


def _check_owner(
    *, by: User | None, data: ContactData, stored_owner_id: int | None, creating: bool
) -> None:
    refusal = owner_change_refusal(
        by=by,
        owner_id=data.owner.pk if data.owner else None,
        stored_owner_id=stored_owner_id,
        creating=creating,
    )
    if refusal:
        raise ValidationError({"owner": refusal})


@transaction.atomic
def contact_create(
    *,
    data: ContactData,
    phones: Sequence[PhoneInput] = (),
    by: User | None,
    via: str = ContactChange.Via.APP,
) -> Contact:
    """Create a contact with its numbers, logged as created by `by`. Earlier calls and messages
    with any of these numbers that matched no one are linked to it, and its last activity
    reflects them. Raises ValidationError for invalid data, and when an agent gives the contact
    to someone else (`owner_change_refusal`)."""
    _validate_contact(data)
    _check_owner(by=by, data=data, stored_owner_id=None, creating=True)
    normalised = phones_normalise(phones=phones)
    contact = Contact()
    _apply_contact_data(contact, data)
    contact.search_text = contact_search_text(contact)
    contact.save()
    rows = ContactPhone.objects.bulk_create([_phone_row(contact, p.kind, n) for p, n in normalised])
    _link_earlier_logs(contact=contact, phones=rows)
    _log_change(contact=contact, before=None, after=_contact_state(contact, rows), by=by, via=via)
    return contact


@transaction.atomic
def contact_update(
    *,
    contact: Contact,
    data: ContactData,
    phones: Sequence[PhoneInput] | None = None,
    add_phones: Sequence[PhoneInput] = (),
    by: User | None,
    via: str = ContactChange.Via.APP,
) -> Contact:
    """Update a contact, logging what changed (nothing is logged when nothing did).

    `phones`, when given, is the complete new list of its numbers (a number kept keeps its row);
    None leaves the numbers alone. `add_phones` are numbers to add to those it has. Locks the
    contact (`contact_lock_for_change`). Raises ValidationError for invalid data, and when
    `by` may not change the owner and `data` changes it (`owner_change_refusal`): nothing is
    saved then.
    """
    _validate_contact(data)
    normalised = phones_normalise(phones=phones) if phones is not None else None
    extra = phones_normalise(phones=add_phones)
    stored = contact_lock_for_change(contact_id=contact.pk)
    _check_owner(by=by, data=data, stored_owner_id=stored.owner_id, creating=False)
    existing = {phone.e164: phone for phone in ContactPhone.objects.filter(contact=contact)}
    before = _contact_state(stored, existing.values())
    _apply_contact_data(contact, data)
    contact.search_text = contact_search_text(contact)
    # Never write last_activity_at from memory: a call stored meanwhile may have moved it.
    contact.save(update_fields=[*CONTACT_EDITABLE_FIELDS, "search_text", "updated_at"])
    added: list[ContactPhone] = []
    if normalised is not None:
        wanted = {n.e164 for _, n in normalised}
        ContactPhone.objects.filter(contact=contact).exclude(e164__in=wanted).delete()
        for phone, n in normalised:
            row = existing.get(n.e164)
            if row is None:
                added.append(_phone_row(contact, phone.kind, n))
            elif (row.raw, row.kind) != (n.raw, phone.kind):
                row.raw, row.kind = n.raw, phone.kind
                row.save(update_fields=["raw", "kind"])
        have = wanted
    else:
        have = set(existing)
    for phone, n in extra:
        if n.e164 not in have:
            have.add(n.e164)
            added.append(_phone_row(contact, phone.kind, n))
    ContactPhone.objects.bulk_create(added)
    _link_earlier_logs(contact=contact, phones=added)
    after = _contact_state(contact, ContactPhone.objects.filter(contact=contact))
    _log_change(contact=contact, before=before, after=after, by=by, via=via)
    return contact


def contact_delete(*, contact: Contact) -> None:
    """Delete a contact with their numbers, notes and change log; their calls and messages
    stay, unlinked."""
    contact.delete()


def contact_refresh_derived(*, contact: Contact) -> None:
    """Bring a contact edited outside the services (Django admin) back in step: its search text,
    and the earlier calls and messages of its numbers."""
    contact = Contact.objects.select_related("company").get(pk=contact.pk)
    contacts_refresh_search_text(contacts=[contact])
    _link_earlier_logs(contact=contact, phones=list(contact.phones.all()))


def company_refresh_derived(*, company: Company) -> None:
    """Bring a company edited outside the services (Django admin) back in step."""
    Company.objects.filter(pk=company.pk).update(search_text=_company_search_text(company))
    contacts_refresh_search_text(contacts=company.contacts.select_related("company"))


def phone_row_values(*, raw: str) -> dict[str, Any]:
    """The stored columns of a number as typed. Raises InvalidPhoneNumber."""
    normalised = phone_normalise(raw)
    return {
        "raw": normalised.raw,
        "e164": normalised.e164,
        "national_number": normalised.national_number,
        "country_assumed": normalised.country_assumed,
        "tail": normalised.tail,
    }


def _link_earlier_logs(*, contact: Contact, phones: Collection[ContactPhone]) -> None:
    """Link the calls and messages of these (new) numbers of the contact, as caller matching
    would match them now, that are linked to no one; move the contact's last activity up to
    the latest call or message of these numbers."""
    if not phones:
        return
    theirs = logs_matching_phones_q(phones=phones)
    calls = CallLog.objects.filter(theirs)
    messages = MessageLog.objects.filter(theirs)
    calls.filter(contact__isnull=True).update(contact=contact)
    messages.filter(contact__isnull=True).update(contact=contact)
    latest = [
        calls.aggregate(at=Max("start_time"))["at"],
        messages.aggregate(at=Max("creation_time"))["at"],
    ]
    latest = [at for at in latest if at is not None]
    if latest:
        contacts_bump_activity(contact_ids=[contact.pk], at=max(latest))


def contacts_bump_activity(*, contact_ids: Collection[int], at: datetime) -> None:
    """Move these contacts' (and their companies') last activity up to `at`, never back."""
    if not contact_ids:
        return
    at_value = Value(at, output_field=DateTimeField())
    Contact.objects.filter(pk__in=contact_ids).update(
        last_activity_at=Greatest(F("last_activity_at"), at_value)
    )
    Company.objects.filter(
        pk__in=Contact.objects.filter(pk__in=contact_ids, company__isnull=False).values(
            "company_id"
        )
    ).update(last_activity_at=Greatest(F("last_activity_at"), at_value))


# --- Notes -----------------------------------------------------------------------------------


@transaction.atomic
def note_create(*, contact: Contact, author: User | None, body: str) -> Note:
    body = body.strip()
    if not body:
        raise ValidationError({"body": "Write something first."})
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError(
            {"body": f"Notes are at most {NOTE_MAX_LENGTH} characters; this is {len(body)}."}
        )
    note = Note.objects.create(contact=contact, author=author, body=body)
    contacts_bump_activity(contact_ids=[contact.pk], at=note.created_at)
    return note


# --- Call and message logs -------------------------------------------------------------------


def _without_nul(value: Any) -> Any:
    """The value with U+0000 removed from every string in it (PostgreSQL refuses it in text and
    in jsonb)."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return [_without_nul(item) for item in value]
    if isinstance(value, dict):
        return {_without_nul(key): _without_nul(item) for key, item in value.items()}
    return value


def _fit_strings(model: type[Model], values: dict[str, Any]) -> dict[str, Any]:
    """Trim provider strings to their columns and drop NUL characters, so an overlong name or a
    stray byte cannot fail a whole sync."""
    fitted = {}
    for attname, value in values.items():
        value = _without_nul(value)
        max_length = getattr(model._meta.get_field(attname), "max_length", None)
        fitted[attname] = value[:max_length] if isinstance(value, str) and max_length else value
    return fitted


def _validate_record(rc_id: str, direction: str, at: datetime) -> None:
    if not rc_id:
        raise ValueError("a RingCentral record needs its id")
    if direction not in Direction.values:
        raise ValueError(f"record {rc_id}: direction {direction!r} is not Inbound or Outbound")
    if at.tzinfo is None:
        raise ValueError(f"record {rc_id}: time {at.isoformat()} has no time zone")


def _party_values(model: type[Model], prefix: str, party: Party | None) -> dict[str, str]:
    if party is None:
        return {}
    values = {
        f"{prefix}_number": party.phone_number,
        f"{prefix}_name": party.name,
        f"{prefix}_extension_number": party.extension_number,
    }
    columns = {f.attname for f in model._meta.concrete_fields}
    return {name: value for name, value in values.items() if name in columns}


def _remote_values(party: Party | None) -> dict[str, Any]:
    """The other party's number as sent, as matching reads it, and the contact to link: the
    first match in `contact_match_number`'s order (last activity, then newest)."""
    if party is None:
        return {}
    number = party.phone_number or party.extension_number
    match = contact_match_number(number=number) if number else None
    values: dict[str, Any] = {
        "remote_number": number,
        "remote_e164": match.number.e164 if match else "",
        "remote_national": match.number.fallback_number if match else "",
        "remote_tail": match.number.tail if match else "",
    }
    if match is not None and match.contact is not None:
        values["contact_id"] = match.contact.pk
    return values


def _bump_linked_contact(
    model: type[CallLog | MessageLog], *, pk: int | None, at: datetime
) -> None:
    """Move up the last activity of the one contact the written row is linked to (None: the
    upsert wrote nothing). Other contacts sharing the number keep theirs: matching orders by
    last activity, so the next call from the number is linked to the same contact, not to
    whichever the database returns first among equals."""
    if pk is None:
        return
    contact_id = model.objects.filter(pk=pk).values_list("contact_id", flat=True).get()
    if contact_id is not None:
        contacts_bump_activity(contact_ids=[contact_id], at=at)


def _optional(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value is not None}


def call_log_upsert(*, record: CallLogRecord) -> CallLog:
    """Insert or update one call-log row keyed by its RingCentral id. Idempotent.

    Fields the record leaves as None keep their stored values. A record older than the stored
    row (by lastModifiedTime) changes nothing; an untimed one only fills empty columns. The other
    party's number is matched to contacts: the first match in `contact_match_number`'s order is
    linked (an earlier link is never replaced), and the linked contact's last activity moves up
    to the call's start. The agent's disposition and notes are never touched.
    """
    _validate_record(record.rc_id, record.direction, record.start_time)
    remote = record.from_party if record.direction == Direction.INBOUND.value else record.to_party
    remote_values = _remote_values(remote)
    values = {
        "rc_id": record.rc_id,
        "direction": record.direction,
        "start_time": record.start_time,
        **_optional(
            session_id=record.session_id,
            telephony_session_id=record.telephony_session_id,
            call_type=record.call_type,
            action=record.action,
            result=record.result,
            reason=record.reason,
            duration_seconds=record.duration_seconds,
            agent_id=record.agent_id,
            rc_last_modified=record.last_modified,
        ),
        **_party_values(CallLog, "from", record.from_party),
        **_party_values(CallLog, "to", record.to_party),
        **remote_values,
    }
    if record.recording is not None:
        values.update(
            recording_id=record.recording.id,
            recording_content_uri=record.recording.content_uri,
            recording_type=record.recording.type,
            **_optional(recording_duration_seconds=record.recording.duration_seconds),
        )
    values = _fit_strings(CallLog, values)
    with transaction.atomic():
        written = upsert_by_rc_id(CallLog, values=values, fill_only={"contact_id"})
        _bump_linked_contact(CallLog, pk=written, at=record.start_time)
    return CallLog.objects.select_related("contact", "agent", "disposition").get(
        rc_id=values["rc_id"]
    )


def message_log_upsert(*, record: MessageLogRecord) -> MessageLog:
    """Insert or update one message-store row keyed by its RingCentral id. Idempotent.

    The same rules as `call_log_upsert`: None keeps what is stored, a stale record changes
    nothing, the other party (the sender of an inbound message, the first recipient of an
    outbound one) is matched to contacts, the first is linked and its last activity moves up.
    """
    _validate_record(record.rc_id, record.direction, record.creation_time)
    if record.message_type not in MessageLog.Type.values:
        raise ValueError(f"record {record.rc_id}: unknown message type {record.message_type!r}")
    if record.direction == Direction.INBOUND.value:
        remote = record.from_party
    else:
        remote = record.to_parties[0] if record.to_parties else None
    remote_values = _remote_values(remote)
    values = {
        "rc_id": record.rc_id,
        "message_type": record.message_type,
        "direction": record.direction,
        "creation_time": record.creation_time,
        **_optional(
            conversation_id=record.conversation_id,
            status=record.status,
            read_status=record.read_status,
            subject=record.subject,
            fax_page_count=record.fax_page_count,
            agent_id=record.agent_id,
            rc_last_modified=record.last_modified,
        ),
        **_party_values(MessageLog, "from", record.from_party),
        **remote_values,
    }
    if record.to_parties is not None:
        values["to"] = [asdict(party) for party in record.to_parties]
    if record.attachments is not None:
        values["attachments"] = [asdict(attachment) for attachment in record.attachments]
    values = _fit_strings(MessageLog, values)
    with transaction.atomic():
        written = upsert_by_rc_id(MessageLog, values=values, fill_only={"contact_id"})
        _bump_linked_contact(MessageLog, pk=written, at=record.creation_time)
    return MessageLog.objects.select_related("contact", "agent").get(rc_id=values["rc_id"])


def call_log_set_outcome(*, call: CallLog, disposition: Disposition | None, notes: str) -> CallLog:
    """Record the agent's disposition and notes on a call. Sync never overwrites these."""
    if disposition is not None and not disposition.is_active:
        raise ValidationError({"disposition": f"'{disposition}' is no longer in use."})
    if len(notes) > NOTE_MAX_LENGTH:
        raise ValidationError({"notes": f"Notes are at most {NOTE_MAX_LENGTH} characters."})
    CallLog.objects.filter(pk=call.pk).update(disposition=disposition, notes=notes.strip())
    call.disposition, call.notes = disposition, notes.strip()
    return call
