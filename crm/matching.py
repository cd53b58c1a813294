"""Who is calling: match any number RingCentral sends to contacts, or to a colleague.

Called for every ringing call (the screen-pop) and by every call/message upsert, so it runs at
most two fixed, indexed statements: the exact E.164 match, then (only when that finds nothing)
the last-digits fallback over numbers stored without a country code. Each returns the contacts
with their companies in one round trip.

On PostgreSQL the statements are server-side prepared (planned once per connection: planning the
three-table join costs more than running it), unless DB_PREPARED_STATEMENTS is off, as it must
be behind a transaction-pooling PgBouncer older than 1.21. Elsewhere (SQLite for the demo) they
are plain statements. Either way they run in Django's cursor wrapper, so they are in its query
log and pass its execute wrappers like every other query.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

import psycopg
from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models import Exists, Field, Model, OuterRef, Q

from crm.models import Company, Contact, ContactPhone, User
from crm.phones import TAIL_DIGITS, IncomingNumber, incoming_number

if TYPE_CHECKING:
    from django.db.backends.utils import _ExecuteParameters, _ExecuteQuery  # stubs only
    from psycopg.abc import Params, Query

# A screen-pop cannot show more; a shared switchboard number must not load thousands of rows.
MATCH_LIMIT = 50

MatchMethod = Literal["e164", "last_digits", "extension", "none"]


@dataclass(frozen=True)
class NumberMatch:
    """The result of matching one number.

    `contacts` come with their company loaded, most recent activity first (ties: newest contact
    first), at most MATCH_LIMIT. `internal_user` is set for an extension number of a colleague.
    """

    number: IncomingNumber
    method: MatchMethod
    contacts: tuple[Contact, ...] = ()
    internal_user: User | None = None

    @property
    def contact(self) -> Contact | None:
        return self.contacts[0] if self.contacts else None

    @property
    def found(self) -> bool:
        return bool(self.contacts) or self.internal_user is not None


def contact_match_number(*, number: str) -> NumberMatch:
    """Match a number in any format (E.164 with or without '+', national, an extension).

    1. A short extension number matches the active colleague with that `extension_number`.
    2. A valid number matches contacts with a phone of exactly that E.164 form.
    3. Otherwise, numbers stored without a country code whose last digits agree (one is a
       suffix of the other) match: a national number filed under the wrong country, or a caller
       ID that arrived without its country or area code.
    """
    incoming = incoming_number(number)
    if incoming.is_extension:
        user = (
            User.objects.filter(extension_number=incoming.digits, is_active=True)
            .order_by("id")
            .first()
        )
        if user is not None:
            return NumberMatch(number=incoming, method="extension", internal_user=user)
        return NumberMatch(number=incoming, method="none")

    if incoming.e164:
        contacts = _contacts(match_statements().exact, [incoming.e164])
        if contacts:
            return NumberMatch(number=incoming, method="e164", contacts=contacts)

    if incoming.tail:
        wanted = incoming.fallback_number
        contacts = _contacts(match_statements().last_digits, [incoming.tail, wanted, wanted])
        if contacts:
            return NumberMatch(number=incoming, method="last_digits", contacts=contacts)
    return NumberMatch(number=incoming, method="none")


def logs_matching_phones_q(*, phones: Iterable[ContactPhone]) -> Q:
    """Call or message logs whose other party's number `contact_match_number` would match to
    one of these phones, as it stands now: the same E.164 form, or, when no phone at all has
    the log's E.164 form, the last-digits fallback on the phones stored without a country code.

    Reads the logs' `remote_e164`, `remote_national` and `remote_tail`, which the upserts keep
    as `contact_match_number` reads the number.
    """
    phones = list(phones)
    q = Q(remote_e164__in={phone.e164 for phone in phones})
    fallback = Q()
    for phone in phones:
        if phone.country_assumed and phone.tail:
            # One number is a suffix of the other, as in the last-digits statement below.
            national = phone.national_number
            shorter = [national[i:] for i in range(len(national) - TAIL_DIGITS + 1)]
            fallback |= Q(remote_tail=phone.tail) & (
                Q(remote_national__in=shorter) | Q(remote_national__endswith=national)
            )
    if fallback:
        exact_exists = Exists(ContactPhone.objects.filter(e164=OuterRef("remote_e164")))
        q |= fallback & Q(~exact_exists)
    return q


_M = TypeVar("_M", bound=Model)


@dataclass(frozen=True)
class _Statements:
    exact: str
    last_digits: str
    contact_fields: tuple[Field[Any, Any], ...]
    company_fields: tuple[Field[Any, Any], ...]
    converters: dict[Field[Any, Any], list[Callable[..., Any]]]


@cache
def match_statements() -> _Statements:
    contact_fields = tuple(Contact._meta.concrete_fields)
    company_fields = tuple(Company._meta.concrete_fields)
    columns = ", ".join(
        [f'c."{f.column}"' for f in contact_fields] + [f'co."{f.column}"' for f in company_fields]
    )
    select = (
        f"SELECT {columns} FROM crm_contactphone p "  # noqa: S608 - column names from the models
        "JOIN crm_contact c ON c.id = p.contact_id "
        "LEFT JOIN crm_company co ON co.id = c.company_id "
    )
    order = f" ORDER BY c.last_activity_at DESC, c.id DESC LIMIT {MATCH_LIMIT}"
    return _Statements(
        exact=select + "WHERE p.e164 = %s" + order,
        # The partial index on tail covers `country_assumed`; the suffix test runs on its hits.
        last_digits=select
        + "WHERE p.country_assumed AND p.tail = %s "
        + "AND (p.national_number LIKE '%%' || %s OR %s LIKE '%%' || p.national_number)"
        + order,
        contact_fields=contact_fields,
        company_fields=company_fields,
        # Django's own value converters (SQLite returns datetimes as text, for one).
        converters={
            field: connection.ops.get_db_converters(field.cached_col)
            + field.get_db_converters(connection)
            for field in contact_fields + company_fields
        },
    )


def _contacts(sql: str, params: list[str]) -> tuple[Contact, ...]:
    statements = match_statements()
    n_contact = len(statements.contact_fields)
    contacts: dict[int, Contact] = {}
    for row in _fetch(sql, params):
        contact = _instance(Contact, statements.contact_fields, row[:n_contact])
        if contact.pk in contacts:  # two of their numbers matched
            continue
        if contact.company_id is not None:
            contact.company = _instance(Company, statements.company_fields, row[n_contact:])
        else:
            contact.company = None
        contacts[contact.pk] = contact
    return tuple(contacts.values())


class _PreparingCursor(psycopg.Cursor):
    """A server-side binding cursor that prepares every statement it runs: psycopg plans it on
    the first run on a connection and executes the prepared statement from then on."""

    def execute(
        self,
        query: Query,
        params: Params | None = None,
        *,
        prepare: bool | None = None,
        binary: bool | None = None,
    ) -> Self:
        # psycopg's overloads take a Template without params, so a pass-through of its own
        # implementation's arguments matches neither; Django's wrapper only ever sends text.
        return super().execute(query, params, prepare=True, binary=binary)  # type: ignore[arg-type]


class _PreparedDebugWrapper(CursorDebugWrapper):
    """Django's query-logging wrapper, for a prepared statement: psycopg keeps no text of a
    prepared execution where Django looks for it, so the logged text is composed here."""

    def execute(self, sql: _ExecuteQuery, params: _ExecuteParameters | None = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


def _fetch(sql: str, params: list[str]) -> list[tuple[Any, ...]]:
    if connection.vendor == "postgresql" and settings.DB_PREPARED_STATEMENTS:
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        connection.validate_thread_sharing()
        raw = connection.connection
        if raw.prepare_threshold is None:
            # Django turns automatic preparing off; keep it off and prepare only on request.
            raw.prepare_threshold = sys.maxsize
        # In Django's wrapper, as its own cursors are: the query log (DEBUG, the tests' query
        # counts), execute wrappers, a broken transaction refused, errors as Django's.
        cursor = _PreparingCursor(raw)
        wrapped = (
            _PreparedDebugWrapper(cursor, connection)
            if connection.queries_logged
            else connection.make_cursor(cursor)  # type: ignore[arg-type]  # any DB-API cursor
        )
    else:
        wrapped = connection.cursor()
    with wrapped:
        wrapped.execute(sql, params)
        rows: list[tuple[Any, ...]] = wrapped.fetchall()
        return rows


def _instance(model: type[_M], fields: tuple[Field[Any, Any], ...], values: tuple[Any, ...]) -> _M:
    converters = match_statements().converters
    converted = []
    for field, value in zip(fields, values, strict=True):
        for converter in converters[field]:
            value = converter(value, field.cached_col, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)
