"""Every route of the app and what it takes, for the tests that must cover each view (markup
escaping, CSRF): a new route or a new POST view without a case here makes them fail.

`ROUTES` lists the URL patterns from the resolver. `path_for` fills a route's ids from
`Records`, a user's own contact, company, call, message and import. `POST_DATA` gives valid
form data for every route that takes a POST, so that a refusal is about what a test changed.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver

from crm.contact_import import contact_import_preview
from crm.models import CallLog, Company, Contact, ContactImport, Disposition, MessageLog, User
from crm.records import Recording
from crm.services import call_log_upsert, message_log_upsert, note_create
from tests.factories import call_record, contact, message_record

# Django admin's views are Django's own (escaped templates, csrf_protect on every one), staff
# only; tests that cover the admin name its pages themselves.
SKIPPED_NAMESPACES = {"admin"}


def _routes(resolver: URLResolver, prefix: str = "") -> list[str]:
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace not in SKIPPED_NAMESPACES:
                found += _routes(pattern, prefix + str(pattern.pattern))
        else:
            found.append(prefix + str(pattern.pattern))
    return found


ROUTES: list[str] = sorted(set(_routes(get_resolver())))


@dataclass(frozen=True)
class Records:
    user: User
    contact: Contact
    company: Company
    call: CallLog
    message: MessageLog
    contact_import: ContactImport
    disposition: Disposition


def records_for(user: User) -> Records:
    """A contact at a company with a call (recorded), a text and a note of `user`'s, and an
    import `user` previewed."""
    casey = contact(company="Initech", phones=["+16505550100"], owner=user)
    recording = Recording(id=f"rec-{user.pk}", content_uri="https://media.example/rec/content")
    call = call_log_upsert(
        record=call_record(rc_id=f"CALL-{user.pk}", agent=user, recording=recording)
    )
    message = message_log_upsert(record=message_record(rc_id=f"SMS-{user.pk}", agent=user))
    note_create(contact=casey, author=user, body="Call back Friday")
    preview = contact_import_preview(
        user=user,
        file_name="people.csv",
        data=b"first_name,last_name,mobile_phone\nDana,Diaz,+16505550111\n",
    )
    return Records(
        user=user,
        contact=casey,
        company=casey.company,
        call=call,
        message=message,
        contact_import=preview,
        disposition=Disposition.objects.filter(is_active=True).first(),
    )


# Which record a route's <id:pk> names, by the route's start (the longest first).
_RECORD_OF = {
    "contacts/import/": "contact_import",
    "contacts/": "contact",
    "companies/": "company",
    "calls/": "call",
    "messages/": "message",
}


def path_for(route: str, records: Records) -> str:
    if "<" not in route:
        return "/" + route
    for start, name in _RECORD_OF.items():
        if route.startswith(start):
            return "/" + route.replace("<id:pk>", str(getattr(records, name).pk))
    raise LookupError(f"no record fills the route {route!r}: add one to _RECORD_OF")


def people_csv() -> SimpleUploadedFile:
    return SimpleUploadedFile(
        "people.csv", b"first_name,last_name,mobile_phone\nErin,Ng,+16505550122\n", "text/csv"
    )


def _contact_form(records: Records) -> dict:
    return {
        "first_name": "Dana",
        "last_name": "Diaz",
        "title": "Buyer",
        "company": "Initech",
        "email": "dana@initech.example",
        "secondary_email": "",
        "status": "lead",
        "owner": str(records.user.pk),
        "phones-TOTAL_FORMS": "1",
        "phones-INITIAL_FORMS": "0",
        "phones-MIN_NUM_FORMS": "0",
        "phones-MAX_NUM_FORMS": "10",
        "phones-0-raw": "+1 650 555 0177",
        "phones-0-kind": "mobile",
    }


def _company_form(records: Records) -> dict:
    return {
        "name": "Globex",
        "domain": "globex.example",
        "industry": "Manufacturing",
        "phone": "+1 650 555 0188",
        "address": "1 Main Street",
        "description": "A good customer",
    }


def _nothing(records: Records) -> dict:
    return {}


# Valid form data for every route that takes a POST (fresh objects on every call).
POST_DATA: dict[str, Callable[[Records], dict]] = {
    "login/": lambda r: {"username": r.user.username, "password": "pw-for-tests", "next": "/"},
    "logout/": _nothing,
    "accounts/ringcentral/login/": lambda r: {"next": "/contacts/"},
    "ringcentral/check/": _nothing,
    "contacts/new/": _contact_form,
    "contacts/<id:pk>/edit/": _contact_form,
    "contacts/<id:pk>/delete/": _nothing,
    "contacts/<id:pk>/notes/": lambda r: {"body": "Asked for a quote"},
    "contacts/import/": lambda r: {"file": people_csv()},
    "contacts/import/<id:pk>/apply/": _nothing,
    "contacts/import/<id:pk>/discard/": _nothing,
    "companies/new/": _company_form,
    "companies/<id:pk>/edit/": _company_form,
    "companies/<id:pk>/delete/": _nothing,
    "calls/<id:pk>/": lambda r: {"disposition": str(r.disposition.pk), "notes": "Sent a quote"},
}
