from datetime import UTC, datetime
from functools import cache

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from crm.records import CallLogRecord, MessageLogRecord, Party
from crm.roles import AGENTS, SUPERVISORS, assign_role
from crm.services import ContactData, PhoneInput, company_get_or_create, contact_create


@cache
def hashed_test_password() -> str:
    return make_password("pw-for-tests")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    # Hashing is slow on purpose; hash the one test password once per process, with the real
    # hasher, so servers under test still verify it.
    password = factory.LazyFunction(lambda: hashed_test_password())

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            assign_role(self, extracted)
        if create:
            self.save()


def agent(**kwargs):
    return UserFactory(role=AGENTS, **kwargs)


def supervisor(**kwargs):
    return UserFactory(role=SUPERVISORS, **kwargs)


def contact(*, first_name="Casey", last_name="Caller", phones=(), company=None, by=None, **data):
    """A contact made through the service, as a person would: phones are numbers as typed; `by`
    who made it (None: no one, as a script would)."""
    if isinstance(company, str):
        company = company_get_or_create(name=company)
    return contact_create(
        data=ContactData(first_name=first_name, last_name=last_name, company=company, **data),
        phones=[PhoneInput(raw) if isinstance(raw, str) else PhoneInput(*raw) for raw in phones],
        by=by,
    )


def call_record(*, rc_id="call-1", remote="+16505550100", agent=None, **fields):
    """A call-log record as the telephony layer builds it from RingCentral JSON."""
    direction = fields.pop("direction", "Inbound")
    ours = Party(phone_number="+18442374550", name="Callboard Sales")
    theirs = Party(phone_number=remote, name=fields.pop("remote_name", "Jane Smith"))
    values = {
        "rc_id": rc_id,
        "direction": direction,
        "start_time": datetime(2026, 3, 2, 15, 0, tzinfo=UTC),
        "session_id": f"session-{rc_id}",
        "result": "Accepted",
        "duration_seconds": 55,
        "from_party": theirs if direction == "Inbound" else ours,
        "to_party": ours if direction == "Inbound" else theirs,
        "agent_id": agent.pk if agent else None,
    }
    values.update(fields)
    return CallLogRecord(**values)


def message_record(*, rc_id="msg-1", remote="+16505550100", agent=None, **fields):
    """A message-store record as the telephony layer builds it from RingCentral JSON."""
    direction = fields.pop("direction", "Inbound")
    ours = Party(phone_number="+18442374550", name="Callboard Sales")
    theirs = Party(phone_number=remote, name=fields.pop("remote_name", "Jane Smith"))
    values = {
        "rc_id": rc_id,
        "message_type": "SMS",
        "direction": direction,
        "creation_time": datetime(2026, 3, 2, 16, 0, tzinfo=UTC),
        "conversation_id": f"conv-{remote}",
        "status": "Received" if direction == "Inbound" else "Sent",
        "subject": "Can we move our call to Thursday?",
        "from_party": theirs if direction == "Inbound" else ours,
        "to_parties": (ours,) if direction == "Inbound" else (theirs,),
        "agent_id": agent.pk if agent else None,
    }
    values.update(fields)
    return MessageLogRecord(**values)
