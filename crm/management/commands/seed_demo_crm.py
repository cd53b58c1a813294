"""Demo companies and contacts for `make demo`: a few hundred people at a few dozen companies,
numbers typed every way people type them, and some notes. Idempotent: a second run adds nothing.

Contacts do not depend on who the users are (the same contacts and numbers every time). Their
owners are the agents and supervisors: each run gives every seeded contact still without an
owner the one the seed picks for it (four in five get one), and their notes that owner as
author, so contacts seeded before the users existed get owners on the next run.

Numbers are from ranges reserved for fiction (555-0100..0199 in North America, 020 7946 0xxx in
London), so the demo never rings a real person. Calls and messages come from RingCentral.
"""

import random
from argparse import ArgumentParser
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from crm.models import Company, Contact, Note, User
from crm.phones import phone_normalise
from crm.roles import ROLE_GROUPS
from crm.services import (
    CompanyData,
    ContactData,
    PhoneInput,
    company_create,
    contact_create,
    note_create,
)

COMPANIES = (
    ("Initech", "initech.example", "Software"),
    ("Globex", "globex.example", "Energy"),
    ("Umbrella Health", "umbrella-health.example", "Healthcare"),
    ("Stark Logistics", "starklogistics.example", "Logistics"),
    ("Wayne Foods", "waynefoods.example", "Food & beverage"),
    ("Acme Tools", "acmetools.example", "Manufacturing"),
    ("Hooli", "hooli.example", "Software"),
    ("Pied Piper", "piedpiper.example", "Software"),
    ("Vandelay Industries", "vandelay.example", "Import/export"),
    ("Soylent Partners", "soylent.example", "Food & beverage"),
    ("Cyberdyne Systems", "cyberdyne.example", "Robotics"),
    ("Tyrell Biotech", "tyrell.example", "Biotech"),
    ("Oceanic Air", "oceanic.example", "Travel"),
    ("Gringotts Capital", "gringotts.example", "Finance"),
    ("Monarch Realty", "monarchrealty.example", "Real estate"),
    ("Blue Sun Retail", "bluesun.example", "Retail"),
    ("Nakatomi Trading", "nakatomi.example", "Finance"),
    ("Wonka Confectionery", "wonka.example", "Food & beverage"),
    ("Massive Dynamic", "massivedynamic.example", "Research"),
    ("Dunder Paper", "dunderpaper.example", "Paper"),
    ("Bluth Homes", "bluthhomes.example", "Real estate"),
    ("Prestige Worldwide", "prestigeworldwide.example", "Events"),
    ("Sterling Cooper", "sterlingcooper.example", "Advertising"),
    ("Los Pollos Hermanos", "lospollos.example", "Restaurants"),
    ("Kwik-E-Mart", "kwikemart.example", "Retail"),
    ("Aperture Labs", "aperture.example", "Research"),
    ("Black Mesa Energy", "blackmesa.example", "Energy"),
    ("Virtucon", "virtucon.example", "Manufacturing"),
    ("Ollivander Supplies", "ollivander.example", "Retail"),
    ("Brightside Clinics", "brightside.example", "Healthcare"),
    ("London Quay Partners", "londonquay.example", "Consulting"),
    ("Thames Valley Freight", "thamesfreight.example", "Logistics"),
    ("Berlin Works GmbH", "berlinworks.example", "Manufacturing"),
    ("Maple Leaf Outfitters", "mapleleaf.example", "Retail"),
    ("Harbor Insurance", "harborins.example", "Insurance"),
    ("Summit Legal", "summitlegal.example", "Legal"),
)
FIRST = [
    "Ada",
    "Alan",
    "Alex",
    "Amara",
    "Amir",
    "Ana",
    "Ben",
    "Bea",
    "Carla",
    "Chen",
    "Dan",
    "Dee",
    "Eli",
    "Emma",
    "Farah",
    "Finn",
    "Gia",
    "Grace",
    "Hana",
    "Hugo",
    "Ian",
    "Ines",
    "Ivy",
    "Jamal",
    "Jo",
    "Kai",
    "Kenji",
    "Lea",
    "Leo",
    "Lin",
    "Lucia",
    "Mae",
    "Marco",
    "Max",
    "Mia",
    "Nadia",
    "Nia",
    "Noah",
    "Omar",
    "Pia",
    "Priya",
    "Raj",
    "Rosa",
    "Ruth",
    "Sam",
    "Sara",
    "Sofia",
    "Tom",
    "Uma",
    "Victor",
    "Wes",
    "Yara",
    "Yusuf",
    "Zoe",
]
LAST = [
    "Abbott",
    "Adeyemi",
    "Baker",
    "Bianchi",
    "Chen",
    "Costa",
    "Diaz",
    "Dubois",
    "Evans",
    "Fischer",
    "Garcia",
    "Haddad",
    "Hughes",
    "Ito",
    "Jones",
    "Kaur",
    "Khan",
    "Kowalski",
    "Larsen",
    "Lopez",
    "Meyer",
    "Moreau",
    "Nguyen",
    "Novak",
    "Okafor",
    "Olsen",
    "Patel",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Varga",
    "Walsh",
    "Weber",
    "Xu",
    "Young",
    "Zhang",
]
TITLES = (
    "CEO",
    "CFO",
    "CTO",
    "VP Sales",
    "Head of Procurement",
    "Office Manager",
    "Buyer",
    "Operations Lead",
    "IT Director",
    "Account Manager",
    "Founder",
    "Purchasing Manager",
    "",
)
STATUSES = (("lead", 5), ("qualified", 3), ("customer", 3), ("inactive", 1))
US_AREAS = (
    "212",
    "415",
    "650",
    "312",
    "617",
    "206",
    "512",
    "303",
    "404",
    "702",
    "305",
    "213",
    "503",
    "615",
    "713",
    "801",
    "919",
    "480",
    "612",
    "858",
)
NOTES = (
    "Asked for a quote for 25 seats; send it by Friday.",
    "Prefers calls after 2pm their time.",
    "Evaluating us against two other vendors. Budget approved for Q3.",
    "Met at the trade show. Interested in the analytics add-on.",
    "Renewal coming up in 60 days; check satisfaction first.",
    "Wrong person for billing questions: talk to their finance team.",
    "Had a support issue last month, resolved. Still a bit cautious.",
    "Wants a demo for their whole team next week.",
    "Decision maker is their CFO; get an intro.",
    "Happy customer, open to being a reference.",
)


def us_number(rng: random.Random) -> str:
    area, line = rng.choice(US_AREAS), rng.randrange(100, 200)
    a, b, c = area, "555", f"{line:04d}"
    style = rng.randrange(5)
    return [
        f"({a}) {b}-{c}",
        f"{a}.{b}.{c}",
        f"+1 {a} {b} {c}",
        f"1-{a}-{b}-{c}",
        f"+1{a}{b}{c}",
    ][style]


def uk_number(rng: random.Random) -> str:
    line = rng.randrange(0, 1000)
    return rng.choice([f"+44 20 7946 0{line:03d}", f"+442079460{line:03d}"])


class Command(BaseCommand):
    help = "Create demo companies, contacts with numbers in many formats, and notes (idempotent)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--contacts", type=int, default=300)

    @transaction.atomic
    def handle(self, *args: Any, contacts: int, **options: Any) -> None:
        rng = random.Random(20260301)  # noqa: S311 - reproducible demo data, not secrets
        companies: list[tuple[Company | None, str]] = []
        company: Company | None
        for name, domain, industry in COMPANIES:
            # Every random draw happens whether or not the row exists, so reruns match.
            phone = uk_number(rng) if "London" in name or "Thames" in name else us_number(rng)
            company = Company.objects.filter(name__iexact=name).first() or company_create(
                data=CompanyData(name=name, domain=domain, industry=industry, phone=phone)
            )
            companies.append((company, domain))
        created = notes = 0
        statuses = [s for s, weight in STATUSES for _ in range(weight)]
        now = timezone.now()
        used_emails: set[str] = set()
        for i in range(contacts):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            company, domain = (
                rng.choice(companies) if rng.random() < 0.85 else (None, "mail.example")
            )
            email = f"{first}.{last}@{domain}".lower()
            if email in used_emails:
                email = f"{first}.{last}{i}@{domain}".lower()
            used_emails.add(email)
            phones = [PhoneInput(uk_number(rng) if rng.random() < 0.12 else us_number(rng))]
            if rng.random() < 0.3:
                phones.append(PhoneInput(us_number(rng), "work"))
            title = rng.choice(TITLES)
            status = rng.choice(statuses)
            note_count = rng.choice((0, 0, 0, 1, 1, 2, 3))
            note_texts = [rng.choice(NOTES) for _ in range(note_count)]
            ages = sorted((rng.randrange(1, 120 * 24) for _ in range(note_count)), reverse=True)
            quiet_for = rng.randrange(1, 200 * 24)
            if Contact.objects.filter(email=email).exists():
                continue
            contact = contact_create(
                data=ContactData(
                    first_name=first,
                    last_name=last,
                    title=title,
                    company=company,
                    email=email,
                    owner=None,
                    status=status,
                ),
                phones=_distinct(phones),
                by=None,
            )
            created += 1
            for text, hours in zip(note_texts, ages, strict=True):
                note = note_create(contact=contact, author=None, body=text)
                Note.objects.filter(pk=note.pk).update(created_at=now - timedelta(hours=hours))
                notes += 1
            # A demo needs history: the contact was last active with its latest note, or earlier.
            last_active = now - timedelta(hours=min([quiet_for, *ages]))
            Contact.objects.filter(pk=contact.pk).update(last_activity_at=last_active)
        latest = Contact.objects.filter(company=OuterRef("pk")).order_by("-last_activity_at")
        Company.objects.filter(contacts__isnull=False).distinct().update(
            last_activity_at=Subquery(latest.values("last_activity_at")[:1])
        )
        owned = _assign_owners(used_emails)
        self.stdout.write(
            f"Demo CRM: {created} contacts and {notes} notes added, {owned} contacts given an "
            f"owner ({Contact.objects.count()} contacts, {Company.objects.count()} companies "
            "in all)."
        )


def _owners() -> list[User]:
    """Who owns demo contacts: the agents and supervisors (else any active user)."""
    users = User.objects.filter(is_active=True).order_by("id")
    with_role = list(users.filter(groups__name__in=ROLE_GROUPS).distinct())
    return with_role or list(users)


def _assign_owners(emails: set[str]) -> int:
    """Give each seeded contact (by e-mail) without an owner the owner the seed picks for it
    (decided from its e-mail, so every run agrees), and its author-less notes that author.
    Returns how many contacts got an owner."""
    owners = _owners()
    if not owners:
        return 0
    owned = 0
    for contact in Contact.objects.filter(email__in=emails, owner__isnull=True).order_by("id"):
        pick = random.Random(f"owner:{contact.email}")  # noqa: S311 - demo data
        owner = owners[pick.randrange(len(owners))]
        if pick.random() < 0.8:
            Contact.objects.filter(pk=contact.pk).update(owner=owner)
            owned += 1
        Note.objects.filter(contact=contact, author__isnull=True).update(author=owner)
    return owned


def _distinct(phones: Iterable[PhoneInput]) -> list[PhoneInput]:
    """Two fictional numbers may coincide; a contact keeps each number once."""
    seen: set[str] = set()
    kept: list[PhoneInput] = []
    for phone in phones:
        e164 = phone_normalise(phone.raw).e164
        if e164 not in seen:
            seen.add(e164)
            kept.append(phone)
    return kept
