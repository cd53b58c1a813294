from datetime import UTC, datetime

import pytest
from django.db import connection

from crm.matching import contact_match_number, match_statements
from crm.models import Contact
from crm.services import call_log_upsert, contacts_bump_activity
from tests.factories import agent, call_record, contact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("stored", "incoming"),
    [
        ("+1 650 555 0100", "+16505550100"),
        ("+1 650 555 0100", "16505550100"),
        ("+1 650 555 0100", "(650) 555-0100"),
        ("+1 650 555 0100", "650.555.0100"),
        ("(650) 555-0100", "+16505550100"),
        ("+44 20 7946 0958", "+44 20 7946 0958"),
        ("+44 20 7946 0958", "442079460958"),
        ("+442079460958", "+44 (0)20 7946 0958"),
        ("+44 20 7946 0958", "0044 20 7946 0958"),
        ("+44 20 7946 0958", "011 44 20 7946 0958"),
    ],
)
def test_number_in_any_format_matches_the_contact_by_e164(stored, incoming):
    # given a contact with the number stored in one format, and another contact
    casey = contact(first_name="Casey", company="Initech", phones=[stored])
    contact(first_name="Other", phones=["+1 415 555 0199"])
    # when a call arrives from that number in another format
    match = contact_match_number(number=incoming)
    # then exactly that contact matches, on its E.164 form, with its company
    assert match.method == "e164"
    assert [c.pk for c in match.contacts] == [casey.pk]
    assert match.contacts[0].company.name == "Initech"
    assert match.internal_user is None


def test_extension_number_matches_the_internal_user():
    # given a colleague on extension 101 and a contact whose number ends in 101
    colleague = agent(extension_number="101")
    contact(phones=["+1 650 555 0101"])
    # when an internal call shows extension 101
    match = contact_match_number(number="101")
    # then it is the colleague, and no contact
    assert match.method == "extension"
    assert match.internal_user == colleague
    assert match.contacts == ()


def test_extension_of_an_inactive_user_matches_nobody():
    agent(extension_number="102", is_active=False)
    match = contact_match_number(number="102")
    assert (match.method, match.internal_user, match.contacts) == ("none", None, ())


def test_several_contacts_on_one_number_are_all_returned_most_recent_activity_first():
    # given three contacts sharing a switchboard number, with different last activity
    older = contact(first_name="Older", phones=["+1 650 555 0100"])
    newest = contact(first_name="Newest", phones=["(650) 555-0100"])
    middle = contact(first_name="Middle", phones=["16505550100"])
    same_time = datetime(2026, 1, 1, tzinfo=UTC)
    Contact.objects.update(last_activity_at=same_time)
    contacts_bump_activity(contact_ids=[newest.pk], at=datetime(2026, 3, 1, tzinfo=UTC))
    contacts_bump_activity(contact_ids=[middle.pk], at=datetime(2026, 2, 1, tzinfo=UTC))
    # when that number calls
    match = contact_match_number(number="+16505550100")
    # then all three come back, most recent activity first
    assert [c.first_name for c in match.contacts] == ["Newest", "Middle", "Older"]
    assert match.contact == newest
    # and contacts with equal activity come in a stable order (newest contact first)
    Contact.objects.update(last_activity_at=same_time)
    again = contact_match_number(number="+16505550100")
    assert [c.pk for c in again.contacts] == [middle.pk, newest.pk, older.pk]


def test_unknown_number_matches_nobody():
    contact(phones=["+1 650 555 0100"])
    match = contact_match_number(number="+1 650 555 0199")
    assert match.method == "none"
    assert match.contacts == ()
    assert match.found is False
    assert match.number.e164 == "+16505550199"


@pytest.mark.parametrize("garbage", ["", "anonymous", "+", "0000000000000000000000"])
def test_garbled_number_matches_nobody_without_error(garbage):
    contact(phones=["+1 650 555 0100"])
    match = contact_match_number(number=garbage)
    assert (match.method, match.contacts, match.internal_user) == ("none", (), None)


def test_number_stored_without_country_code_matches_on_its_last_digits():
    # given a UK number typed without its country code, so the default region (US) was assumed
    london = contact(first_name="London", phones=["(207) 946-0958"])
    # when the real caller ID arrives in E.164
    match = contact_match_number(number="+44 20 7946 0958")
    # then the last-digits fallback finds them
    assert match.method == "last_digits"
    assert [c.pk for c in match.contacts] == [london.pk]


def test_caller_id_without_area_code_matches_on_last_digits():
    local = contact(first_name="Local", phones=["650 555 0100"])
    match = contact_match_number(number="555-0100")
    assert match.method == "last_digits"
    assert [c.pk for c in match.contacts] == [local.pk]


def test_last_digits_fallback_ignores_numbers_stored_with_their_country_code():
    # given a number stored with an explicit country code: its country is known, not assumed
    contact(phones=["+1 207 946 0958"])
    # when a different country's number with the same national digits calls
    match = contact_match_number(number="+44 20 7946 0958")
    # then it is not that contact
    assert match.method == "none"


def explain(sql: str, params: list[str]) -> str:
    with connection.cursor() as cursor:
        # The test tables are tiny, where a scan is cheapest; ask whether an index can answer.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


def test_matching_statements_are_answered_by_indexes():
    if connection.vendor != "postgresql":
        pytest.skip("plans are PostgreSQL's")
    contact(phones=["+1 650 555 0100", "(415) 555-0199"])
    exact = explain(match_statements().exact, ["+16505550100"])
    fallback = explain(match_statements().last_digits, ["5550199", "4155550199", "4155550199"])
    assert "Index Scan using crm_phone_e164_idx" in exact
    assert "Index Scan using crm_phone_assumed_tail_idx" in fallback
    for plan in (exact, fallback):
        assert "Seq Scan" not in plan
        assert "Index Scan using crm_contact_pkey" in plan


def test_matching_works_without_prepared_statements(settings):
    settings.DB_PREPARED_STATEMENTS = False
    casey = contact(company="Initech", phones=["+1 650 555 0100"])
    match = contact_match_number(number="650-555-0100")
    assert [(c.pk, c.company.name) for c in match.contacts] == [(casey.pk, "Initech")]


def test_matched_contacts_are_complete_models():
    casey = contact(
        first_name="Casey", title="Buyer", email="casey@initech.example", phones=["+16505550100"]
    )
    match = contact_match_number(number="+16505550100")
    found = match.contact
    assert (found.pk, found.name, found.title, found.email, found.company) == (
        casey.pk,
        "Casey Caller",
        "Buyer",
        "casey@initech.example",
        None,
    )
    assert found.last_activity_at == Contact.objects.get(pk=casey.pk).last_activity_at
    assert found._state.adding is False


@pytest.mark.parametrize(
    "anonymous",
    [
        "Anonymous",
        "Unknown",
        "Blocked",
        "sip:anonymous@anonymous.invalid",
        "266696687",  # 'ANONYMOUS' on a keypad: how US carriers show a withheld number
        "+266696687",
        "0000000000",
        "+10000000000",
    ],
)
def test_anonymous_caller_never_matches_a_contact(anonymous):
    # given contacts whose numbers end in the digits of anonymous callers' markers
    contact(first_name="Kitchener", phones=["(226) 669-6687"])
    contact(first_name="Zero", phones=["(650) 200-0000"])
    match = contact_match_number(number=anonymous)
    assert (match.method, match.contacts, match.internal_user) == ("none", (), None)
    # and their calls are no one's, on any timeline
    call = call_log_upsert(record=call_record(rc_id="A1", remote=anonymous))
    assert (call.contact, call.remote_tail) == (None, "")
