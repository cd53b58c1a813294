"""Contacts to CSV, in the columns the import reads back."""

import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from crm.models import Contact, ContactPhone
from crm.phones import format_international

HEADER = [
    "first_name",
    "last_name",
    "title",
    "company",
    "email",
    "secondary_email",
    "status",
    "owner",
    *[f"{kind}_phone" if kind != "fax" else "fax" for kind in ContactPhone.Kind.values],
]
# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: str) -> str:
    """Guard a cell against spreadsheet formula injection; the import strips the guard. A value
    that starts with an apostrophe is guarded too, so the import gives back the value whole."""
    return "'" + value if value.startswith((*_FORMULA_STARTS, "'")) else value


def contact_row(contact: Contact) -> list[str]:
    numbers: dict[str, list[str]] = {kind: [] for kind in ContactPhone.Kind.values}
    for phone in contact.phones.all():
        numbers[phone.kind].append(format_international(phone.e164))
    row = [
        contact.first_name,
        contact.last_name,
        contact.title,
        contact.company.name if contact.company else "",
        contact.email,
        contact.secondary_email,
        contact.status,
        contact.owner.username if contact.owner else "",
        *["; ".join(numbers[kind]) for kind in ContactPhone.Kind.values],
    ]
    return [csv_safe(cell) for cell in row]


class _Echo:
    def write(self, value: str) -> str:
        return value


def contacts_csv_lines(contacts: QuerySet[Contact] | Iterable[Contact]) -> Iterator[str]:
    """The CSV text of these contacts, a line at a time (for a streaming response).

    Starts with a byte-order mark so spreadsheet programs read it as UTF-8.
    """
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(HEADER)
    rows = contacts.iterator(chunk_size=1000) if isinstance(contacts, QuerySet) else contacts
    for contact in rows:
        yield writer.writerow(contact_row(contact))
