from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from crm.roles import AGENTS, SUPERVISORS, assign_role

DEMO_USERS = (
    # username, password, first, last, role, staff
    ("agent", "demo-agent", "Alex", "Agent", AGENTS, False),
    ("supervisor", "demo-supervisor", "Sam", "Supervisor", SUPERVISORS, False),
    ("admin", "demo-admin", "Ada", "Admin", None, True),
)


class Command(BaseCommand):
    help = "Create (or reset) the demo agent, supervisor and admin, and print their passwords."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        User = get_user_model()
        rows = []
        for username, password, first, last, role, staff in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name, user.last_name = first, last
            user.email = f"{username}@callboard.example"
            user.is_staff = user.is_superuser = staff
            user.set_password(password)
            user.save()
            if role:
                assign_role(user, role)
            rows.append((role or "Admin", username, password))
        self.stdout.write("Demo users (username / password):")
        for role, username, password in rows:
            self.stdout.write(f"  {role:<12} {username:<11} / {password}")
