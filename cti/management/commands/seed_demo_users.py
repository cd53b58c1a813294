"""Demo users for `make demo`.

Without `--people`: a local agent, supervisor and admin (Django's login form), for a demo
without RingCentral credentials of its own.

With `--people FILE`: the people of the RingCentral account the demo runs against (its sandbox,
or any account), created up front with their roles and linked to their extensions, so that
"Sign in with RingCentral" lands each one on their own user with the right role. FILE is JSON:
`[{"extension_id", "extension_number", "name", "email", "role": "agent|supervisor|admin",
"account_id"}]`. They get no local password (they sign in with RingCentral); admins are staff.

Both keep a local superuser `admin` for Django admin without RingCentral. Local users get the
`--password` given (`make demo` keeps a random one in var/demo-secrets.env), else a random one;
it is printed. There is no built-in password. Idempotent: a second run updates the same users.
"""

import json
import secrets
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from crm.models import User
from crm.roles import AGENTS, SUPERVISORS, set_role
from telephony import services
from telephony.ringcentral.types import Extension

# username, first name, last name, role (None: admin), staff
LocalUser = tuple[str, str, str, str | None, bool]
LOCAL_USERS: tuple[LocalUser, ...] = (
    ("agent", "Alex", "Agent", AGENTS, False),
    ("supervisor", "Sam", "Supervisor", SUPERVISORS, False),
    ("admin", "Ada", "Admin", None, True),
)
ROLES = {"agent": AGENTS, "supervisor": SUPERVISORS, "admin": None}
PERSON_FIELDS = {"extension_id", "extension_number", "name", "email", "role"}


class Command(BaseCommand):
    help = "Create (or update) the demo users: local ones, or the people of a RingCentral account."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--people",
            metavar="FILE",
            help="JSON list of the account's people (extension_id, extension_number, name, "
            "email, role, account_id) to create up front and link to their extensions",
        )
        parser.add_argument(
            "--password",
            help="the local users' password (default: a random one, printed)",
        )

    @transaction.atomic
    def handle(
        self, *args: Any, people: str | None = None, password: str | None = None, **options: Any
    ) -> None:
        password = password or secrets.token_urlsafe(12)
        if people:
            self._people(_read_people(people))
            self._local(LOCAL_USERS[-1:], password)
            return
        self._local(LOCAL_USERS, password)

    def _local(self, rows: tuple[LocalUser, ...], password: str) -> None:
        self.stdout.write("Local users (username / password):")
        for username, first, last, role, staff in rows:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@callboard.example"
            user.is_staff = user.is_superuser = staff
            user.set_password(password)
            user.save()
            set_role(user, role)
            self.stdout.write(f"  {role or 'Admin':<12} {username:<11} / {password}")

    def _people(self, people: list[dict[str, Any]]) -> None:
        self.stdout.write("RingCentral users (sign in with RingCentral):")
        for person in people:
            first, _, last = person["name"].partition(" ")
            extension = Extension(
                id=int(person["extension_id"]),
                extension_number=person["extension_number"],
                name=person["name"],
                first_name=first,
                last_name=last,
                email=person["email"],
                type="User",
                status="Enabled",
                account_id=str(person.get("account_id") or ""),
            )
            user = services.user_for_extension(extension=extension)
            admin = person["role"] == "admin"
            user.is_staff = user.is_superuser = admin
            user.first_name, user.last_name, user.email = first, last, person["email"]
            user.save()
            set_role(user, ROLES[person["role"]])
            services.extension_link_user(extension=extension, user=user)
            self.stdout.write(
                f"  {person['role']:<12} {person['name']:<18} ext {extension.extension_number:<5}"
                f" {person['email']}"
            )


def _read_people(path: str) -> list[dict[str, Any]]:
    """The people file, checked: a clear CommandError names what is wrong."""
    try:
        people = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CommandError(f"cannot read people from {path}: {error}") from None
    if not isinstance(people, list) or not people:
        raise CommandError(f"{path}: expected a non-empty JSON list of people")
    for index, person in enumerate(people):
        missing = PERSON_FIELDS - set(person) if isinstance(person, dict) else PERSON_FIELDS
        if missing:
            raise CommandError(f"{path}[{index}]: missing {', '.join(sorted(missing))}")
        if person["role"] not in ROLES:
            raise CommandError(f"{path}[{index}]: role must be one of {', '.join(ROLES)}")
        if not str(person["extension_id"]).isdigit():
            raise CommandError(f"{path}[{index}]: extension_id must be a number")
    return people
