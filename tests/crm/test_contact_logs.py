"""A contact's calls and messages have one definition, the one caller matching uses: the
timeline, the company's activity and the lists' contact filter all show the same logs."""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.test import Client

from crm.matching import contact_match_number
from crm.models import CallLog, Contact, MessageLog
from crm.services import call_log_upsert, message_log_upsert
from tests.factories import agent, call_record, contact, message_record

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)
LONDON = "+44 20 7946 0958"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def timeline_items(user, person: Contact) -> list:
    """The calls and messages on the contact's timeline."""
    response = client_for(user).get(f"/contacts/{person.pk}/")
    assert response.status_code == 200
    entries = response.context["timeline"].entries
    return [entry.item for entry in entries if entry.kind in ("call", "message")]


def listed(user, path: str, person: Contact) -> list:
    response = client_for(user).get(path, {"contact": person.pk})
    assert response.status_code == 200
    return list(response.context["page"].object_list)


@pytest.fixture
def shared():
    """Two contacts who both filed a London number without its country code (so the US one was
    assumed); the call and the message from it are linked to the one active most recently, and
    match the other only by the last-digits fallback."""
    alex = agent(username="alex")
    blake = agent(username="blake")
    older = contact(first_name="Older", company="Initech", phones=["(207) 946-0958"])
    newer = contact(first_name="Newer", phones=["207 946 0958"])
    Contact.objects.filter(pk=older.pk).update(last_activity_at=T0 - timedelta(days=2))
    Contact.objects.filter(pk=newer.pk).update(last_activity_at=T0 - timedelta(days=1))
    call = call_log_upsert(record=call_record(rc_id="A1", remote="+442079460958", agent=alex))
    message = message_log_upsert(
        record=message_record(rc_id="M1", remote="+442079460958", agent=alex)
    )
    return {
        "alex": alex,
        "blake": blake,
        "older": older,
        "newer": newer,
        "call": call,
        "message": message,
    }


def test_log_matching_a_contact_only_by_last_digits_is_on_its_timeline(shared):
    older, call, message = shared["older"], shared["call"], shared["message"]
    assert contact_match_number(number=LONDON).method == "last_digits"
    assert (call.contact, message.contact) == (shared["newer"], shared["newer"])
    assert timeline_items(shared["alex"], older) == [message, call]
    assert timeline_items(shared["blake"], older) == []


def test_log_matching_a_contact_only_by_last_digits_is_in_the_contact_filter(shared):
    older = shared["older"]
    assert listed(shared["alex"], "/calls/", older) == [shared["call"]]
    assert listed(shared["alex"], "/messages/", older) == [shared["message"]]
    assert listed(shared["blake"], "/calls/", older) == []
    assert listed(shared["blake"], "/messages/", older) == []


def test_log_matching_a_contact_only_by_last_digits_is_in_its_company_activity(shared):
    company_id = shared["older"].company_id
    response = client_for(shared["alex"]).get(f"/companies/{company_id}/")
    items = [entry.item for entry in response.context["activity"].entries]
    assert items == [shared["message"], shared["call"]]
    response = client_for(shared["blake"]).get(f"/companies/{company_id}/")
    assert response.context["activity"].entries == []


def test_exact_match_elsewhere_wins_over_the_last_digits_fallback():
    # given a contact with the London number in E.164, and one who filed it without its country
    alex = agent(username="alex")
    exact = contact(first_name="Exact", phones=[LONDON])
    assumed = contact(first_name="Assumed", company="Initech", phones=["(207) 946-0958"])
    # when that number calls
    call = call_log_upsert(record=call_record(rc_id="A1", remote="+442079460958", agent=alex))
    # then matching finds only the exact contact, and so does every view of the logs
    assert [c.pk for c in contact_match_number(number=LONDON).contacts] == [exact.pk]
    assert call.contact == exact
    assert timeline_items(alex, exact) == [call]
    assert listed(alex, "/calls/", exact) == [call]
    assert timeline_items(alex, assumed) == []
    assert listed(alex, "/calls/", assumed) == []
    response = client_for(alex).get(f"/companies/{assumed.company_id}/")
    assert response.context["activity"].entries == []


def test_other_numbers_with_the_same_last_digits_are_not_the_contacts():
    alex = agent(username="alex")
    assumed = contact(first_name="Assumed", phones=["(207) 946-0958"])
    # the same last seven digits, but neither number is a suffix of the other
    call = call_log_upsert(record=call_record(rc_id="A1", remote="+16509460958", agent=alex))
    assert contact_match_number(number="+16509460958").method == "none"
    assert call.contact is None
    assert timeline_items(alex, assumed) == []


def test_caller_id_without_area_code_is_on_the_timeline_of_every_contact_it_matches():
    alex = agent(username="alex")
    first = contact(first_name="First", phones=["650 555 0100"])
    second = contact(first_name="Second", phones=["650-555-0100"])
    call = call_log_upsert(record=call_record(rc_id="A1", remote="555-0100", agent=alex))
    assert {c.pk for c in contact_match_number(number="555-0100").contacts} == {
        first.pk,
        second.pk,
    }
    assert timeline_items(alex, first) == [call]
    assert timeline_items(alex, second) == [call]


def test_contact_created_after_the_call_gets_it_linked_by_last_digits():
    # given a call and a message from London that matched nobody
    call_log_upsert(record=call_record(rc_id="A1", remote="+442079460958"))
    message_log_upsert(record=message_record(rc_id="M1", remote="+442079460958"))
    # when a contact files the number without its country code
    london = contact(first_name="London", phones=["(207) 946-0958"])
    # then both are linked to them
    assert list(CallLog.objects.values_list("contact", flat=True)) == [london.pk]
    assert list(MessageLog.objects.values_list("contact", flat=True)) == [london.pk]


def test_migration_fills_what_the_fallback_compares_for_earlier_logs():
    call_log_upsert(record=call_record(rc_id="A1", remote="+442079460958"))
    call_log_upsert(record=call_record(rc_id="A2", remote="555-0100"))
    message_log_upsert(record=message_record(rc_id="M1", remote="101"))
    CallLog.objects.update(remote_national="", remote_tail="")
    MessageLog.objects.update(remote_national="", remote_tail="")
    migration = importlib.import_module("crm.migrations.0006_log_remote_tail")
    migration.fill_remote_tails(apps, None)
    assert sorted(CallLog.objects.values_list("remote_national", "remote_tail")) == [
        ("2079460958", "9460958"),
        ("5550100", "5550100"),
    ]
    assert list(MessageLog.objects.values_list("remote_national", "remote_tail")) == [("101", "")]
