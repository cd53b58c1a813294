"""Every contact's phone numbers as JSON, `[{"name": "Ada Chen", "number": "+14155550123"}]`
(E.164, one entry per number, fax numbers left out), for tools that need the people the CRM
knows by number: e.g. `make demo` hands them to the RingCentral sandbox as its callers."""

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from crm.models import ContactPhone


class Command(BaseCommand):
    help = "Write contacts' names and E.164 numbers as a JSON list of {name, number}."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--output", metavar="FILE", help="write here (default: stdout)")

    def handle(self, *args: Any, output: str | None = None, **options: Any) -> None:
        phones = (
            ContactPhone.objects.exclude(kind=ContactPhone.Kind.FAX)
            .select_related("contact")
            .order_by("contact_id", "id")
        )
        rows = [
            {
                "name": f"{p.contact.first_name} {p.contact.last_name}".strip() or None,
                "number": p.e164,
            }
            for p in phones
        ]
        text = json.dumps(rows, indent=1, ensure_ascii=False)
        if output:
            Path(output).write_text(text + "\n", encoding="utf-8")
            self.stdout.write(f"{len(rows)} numbers written to {output}")
        else:
            self.stdout.write(text)
