"""Reads of the CRM, with who-may-see-what built in.

Agents see every contact and company, but only their own call logs, message logs and
recordings; supervisors and admins see everyone's (`crm.roles.sees_all_logs`). Every page and
API reads logs through `call_logs_visible_to` / `message_logs_visible_to`, so a log that is not
yours does not exist for you: lists leave it out, and a detail lookup by id is a 404.
"""

import heapq
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, TypeVar

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm.ids import parse_id
from crm.matching import logs_matching_phones_q
from crm.models import (
    CallLog,
    Company,
    Contact,
    ContactChange,
    ContactPhone,
    MessageLog,
    Note,
    User,
)
from crm.phones import digits_of, incoming_number, looks_like_phone
from crm.roles import sees_all_logs

MAX_SEARCH_TERMS = 8


# --- Visibility ------------------------------------------------------------------------------


def call_logs_visible_to(*, user: User) -> QuerySet[CallLog]:
    calls = CallLog.objects.select_related("contact__company", "agent", "disposition")
    if not user.is_authenticated:
        return calls.none()
    if sees_all_logs(user):
        return calls
    return calls.filter(agent=user)


def message_logs_visible_to(*, user: User) -> QuerySet[MessageLog]:
    messages = MessageLog.objects.select_related("contact__company", "agent")
    if not user.is_authenticated:
        return messages.none()
    if sees_all_logs(user):
        return messages
    return messages.filter(agent=user)


def recordings_visible_to(*, user: User) -> QuerySet[CallLog]:
    """Calls with a recording the user may play."""
    return call_logs_visible_to(user=user).exclude(recording_id="")


# --- Contacts and companies ------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ContactFilters:
    query: str = ""
    status: str = ""
    owner_id: int | None = None
    company_id: int | None = None


def phone_search_q(query: str) -> Q:
    """ContactPhone rows for a number in any format, complete or partial: the exact E.164 form,
    the digits typed anywhere in a stored E.164 (trigram-indexed on PostgreSQL), and the
    last-digits fallback for numbers stored without a country code."""
    incoming = incoming_number(query)
    q = Q(e164__contains=digits_of(query))
    if incoming.e164:
        q |= Q(e164=incoming.e164)
    if incoming.tail:
        q |= Q(country_assumed=True, tail=incoming.tail)
    return q


def contact_search_q(query: str) -> Q:
    """Contacts for what someone typed in a search box: a phone number in any format, or words
    found in names, title, emails and company name (every word must appear)."""
    query = query.strip()
    if not query:
        return Q()
    if looks_like_phone(query):
        return Q(pk__in=ContactPhone.objects.filter(phone_search_q(query)).values("contact_id"))
    q = Q()
    for term in query.lower().split()[:MAX_SEARCH_TERMS]:
        q &= Q(search_text__contains=term)
    return q


def contact_list(*, filters: ContactFilters) -> QuerySet[Contact]:
    """Contacts matching the filters, most recent activity first."""
    contacts = Contact.objects.filter(contact_search_q(filters.query))
    if filters.status:
        contacts = contacts.filter(status=filters.status)
    if filters.owner_id:
        contacts = contacts.filter(owner_id=filters.owner_id)
    if filters.company_id:
        contacts = contacts.filter(company_id=filters.company_id)
    return (
        contacts.select_related("company", "owner")
        .prefetch_related("phones")
        .order_by("-last_activity_at", "-id")
    )


def company_list(*, query: str = "") -> QuerySet[Company]:
    """Companies matching the words of `query`, most recent activity first, each with its
    `contact_count`.

    The count is a subquery per company returned (an index-only count on the contacts' company
    index), not a join and GROUP BY over every contact, so a page costs the same with a million
    contacts."""
    companies = Company.objects.all()
    for term in query.lower().split()[:MAX_SEARCH_TERMS]:
        companies = companies.filter(search_text__contains=term)
    counts = (
        Contact.objects.filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return companies.annotate(contact_count=Coalesce(Subquery(counts), 0)).order_by(
        "-last_activity_at", "-id"
    )


def contact_email_taken(*, email: str, exclude_id: int | None = None) -> Contact | None:
    """Another contact with this email address (any letter case), if there is one."""
    if not email.strip():
        return None
    contacts = Contact.objects.filter(email__iexact=email.strip())
    if exclude_id:
        contacts = contacts.exclude(pk=exclude_id)
    return contacts.order_by("id").first()


# --- Call and message lists ------------------------------------------------------------------


def logs_of_contacts_q(*, contact_ids: Collection[int]) -> Q:
    """The calls and messages of these contacts: those linked to one of them, and those whose
    other party's number caller matching would match to one of their numbers now (several
    contacts can share a number, and a number can be added after the call). The one definition
    for timelines, company activity and the lists' contact filter."""
    if not contact_ids:
        return Q(pk__in=[])
    phones = ContactPhone.objects.filter(contact_id__in=contact_ids).only(
        "e164", "national_number", "country_assumed", "tail"
    )
    return Q(contact_id__in=contact_ids) | logs_matching_phones_q(phones=phones)


@dataclass(frozen=True, kw_only=True)
class LogFilters:
    query: str = ""
    direction: str = ""
    result: str = ""  # calls: RingCentral result; messages: type
    status: str = ""  # messages: messageStatus
    date_from: date | None = None
    date_to: date | None = None
    contact_id: int | None = None
    agent_id: int | None = None
    with_recording: bool = False


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


_Log = TypeVar("_Log", CallLog, MessageLog)


def _filter_logs(
    logs: QuerySet[_Log], filters: LogFilters, *, time_field: str, name_fields: tuple[str, ...]
) -> QuerySet[_Log]:
    if filters.direction:
        logs = logs.filter(direction=filters.direction)
    if filters.date_from:
        logs = logs.filter(**{f"{time_field}__gte": _day_start(filters.date_from)})
    if filters.date_to:
        logs = logs.filter(**{f"{time_field}__lt": _day_start(filters.date_to + timedelta(1))})
    if filters.contact_id:
        logs = logs.filter(logs_of_contacts_q(contact_ids=[filters.contact_id]))
    if filters.agent_id:
        logs = logs.filter(agent_id=filters.agent_id)
    query = filters.query.strip()
    if query:
        if looks_like_phone(query):
            incoming = incoming_number(query)
            q = Q(remote_number__contains=incoming.digits) | Q(
                remote_e164__contains=incoming.digits
            )
            if incoming.e164:
                q |= Q(remote_e164=incoming.e164)
        else:
            q = Q()
            for term in query.split()[:MAX_SEARCH_TERMS]:
                term_q = Q(contact__search_text__contains=term.lower())
                for name in name_fields:
                    term_q |= Q(**{f"{name}__icontains": term})
                q &= term_q
        logs = logs.filter(q)
    return logs.order_by(f"-{time_field}", "-id")


def call_log_list(*, user: User, filters: LogFilters) -> QuerySet[CallLog]:
    """The calls this user may see, filtered, newest first."""
    calls = call_logs_visible_to(user=user)
    if filters.result:
        calls = calls.filter(result=filters.result)
    if filters.with_recording:
        calls = calls.exclude(recording_id="")
    return _filter_logs(
        calls, filters, time_field="start_time", name_fields=("from_name", "to_name")
    )


def message_log_list(*, user: User, filters: LogFilters) -> QuerySet[MessageLog]:
    """The messages this user may see, filtered, newest first."""
    messages = message_logs_visible_to(user=user)
    if filters.result:
        messages = messages.filter(message_type=filters.result)
    if filters.status:
        messages = messages.filter(status=filters.status)
    return _filter_logs(
        messages, filters, time_field="creation_time", name_fields=("from_name", "subject")
    )


# --- Timeline --------------------------------------------------------------------------------

TimelineKind = Literal["call", "message", "note", "change"]
# Order of entries at the same instant (higher first), so paging never skips or repeats one.
_RANK: dict[TimelineKind, int] = {"call": 3, "message": 2, "note": 1, "change": 0}


@dataclass(frozen=True)
class TimelineEntry:
    kind: TimelineKind
    at: datetime
    item: CallLog | MessageLog | Note | ContactChange

    @property
    def key(self) -> tuple[datetime, int, int]:
        return (self.at, _RANK[self.kind], self.item.pk)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_cursor: str | None


class InvalidCursor(ValueError):
    pass


def _encode_cursor(entry: TimelineEntry) -> str:
    return f"{entry.at.isoformat()}~{_RANK[entry.kind]}~{entry.item.pk}"


def _decode_cursor(cursor: str) -> tuple[datetime, int, int]:
    try:
        at_text, rank_text, pk_text = cursor.split("~")
        at = datetime.fromisoformat(at_text)
        rank, pk = int(rank_text), int(pk_text)
    except ValueError as exc:
        raise InvalidCursor(f"not a timeline position: {cursor!r}") from exc
    if at.tzinfo is None or rank not in _RANK.values() or parse_id(pk_text) != pk:
        raise InvalidCursor(f"not a timeline position: {cursor!r}")
    try:
        at.astimezone(UTC)  # as the database will compare it
    except OverflowError as exc:
        raise InvalidCursor(f"not a timeline position: {cursor!r}") from exc
    return at, rank, pk


def _before(field: str, rank: int, cursor: tuple[datetime, int, int]) -> Q:
    """Rows of a source with this rank that sort strictly after the cursor (older)."""
    at, cursor_rank, pk = cursor
    if rank < cursor_rank:
        return Q(**{f"{field}__lte": at})
    if rank > cursor_rank:
        return Q(**{f"{field}__lt": at})
    return Q(**{f"{field}__lt": at}) | Q(**{field: at, "pk__lt": pk})


def _timeline_page(
    *,
    calls: QuerySet[CallLog],
    messages: QuerySet[MessageLog],
    notes: QuerySet[Note],
    changes: QuerySet[Any] | None = None,
    cursor: str | None,
    limit: int,
) -> TimelinePage:
    """One query per source, each for at most `limit` + 1 rows after the cursor in the order of
    its (contact, time, id) index, merged."""
    position = _decode_cursor(cursor) if cursor else None
    sources: list[tuple[TimelineKind, QuerySet[Any], str]] = [
        ("call", calls, "start_time"),
        ("message", messages, "creation_time"),
        ("note", notes, "created_at"),
    ]
    if changes is not None:
        sources.append(("change", changes, "at"))
    streams = []
    for kind, rows, field in sources:
        if position is not None:
            rows = rows.filter(_before(field, _RANK[kind], position))
        rows = rows.order_by(f"-{field}", "-id")[: limit + 1]
        streams.append([TimelineEntry(kind, getattr(row, field), row) for row in rows])
    merged = list(heapq.merge(*streams, key=lambda e: e.key, reverse=True))
    entries = merged[:limit]
    next_cursor = _encode_cursor(entries[-1]) if len(merged) > limit else None
    return TimelinePage(entries=entries, next_cursor=next_cursor)


def contact_timeline(
    *, user: User, contact: Contact, cursor: str | None = None, limit: int = 25
) -> TimelinePage:
    """Calls, messages, notes and changes of a contact, newest first, `limit` at a time.

    Calls and messages are the contact's as `logs_of_contacts_q` defines it, and only those the
    user may see. Raises InvalidCursor for a cursor it did not hand out.
    """
    mine = logs_of_contacts_q(contact_ids=[contact.pk])
    return _timeline_page(
        calls=call_logs_visible_to(user=user).filter(mine),
        messages=message_logs_visible_to(user=user).filter(mine),
        notes=Note.objects.filter(contact=contact).select_related("author"),
        changes=ContactChange.objects.filter(contact=contact).select_related("by"),
        cursor=cursor,
        limit=limit,
    )


def company_activity(*, user: User, company: Company, limit: int = 20) -> TimelinePage:
    """The latest calls, messages and notes across a company's contacts."""
    theirs = logs_of_contacts_q(contact_ids=list(company.contacts.values_list("pk", flat=True)))
    return _timeline_page(
        calls=call_logs_visible_to(user=user).filter(theirs),
        messages=message_logs_visible_to(user=user).filter(theirs),
        notes=Note.objects.filter(contact__company=company).select_related("author", "contact"),
        cursor=None,
        limit=limit,
    )


def agents_for_filter() -> QuerySet[User]:
    """People whose calls a supervisor can filter by."""
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")
