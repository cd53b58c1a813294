"""Who is calling: match any number RingCentral sends to contacts, or to a colleague.

Called for every ringing call (the screen-pop) and by every call/message upsert, so it costs at
most two indexed queries: the exact E.164 match, then (only when that finds nothing) the
last-digits fallback over numbers that were stored without a country code.
"""

from dataclasses import dataclass
from typing import Literal

from crm.models import Contact, ContactPhone, User
from crm.phones import IncomingNumber, incoming_number

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
        contacts = _contacts_by_phone_ids(
            ContactPhone.objects.filter(e164=incoming.e164).values("contact_id")
        )
        if contacts:
            return NumberMatch(number=incoming, method="e164", contacts=contacts)

    tail = incoming.tail
    if tail:
        wanted = incoming.national_number or incoming.digits
        candidates = ContactPhone.objects.filter(country_assumed=True, tail=tail).values_list(
            "contact_id", "national_number"
        )
        ids = {
            contact_id
            for contact_id, national in candidates
            if national.endswith(wanted) or wanted.endswith(national)
        }
        if ids:
            contacts = _contacts_by_phone_ids(ids)
            return NumberMatch(number=incoming, method="last_digits", contacts=contacts)
    return NumberMatch(number=incoming, method="none")


def _contacts_by_phone_ids(contact_ids) -> tuple[Contact, ...]:
    return tuple(
        Contact.objects.filter(pk__in=contact_ids)
        .select_related("company")
        .order_by("-last_activity_at", "-id")[:MATCH_LIMIT]
    )
