import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.matching import MATCH_LIMIT, NumberMatch, contact_match_number, match_statements
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


def match_queries(number: str) -> tuple[NumberMatch, list[str]]:
    """Match a number, reading every field of what it found; the statements it ran."""
    with CaptureQueriesContext(connection) as queries:
        match = contact_match_number(number=number)
        for found in match.contacts:
            str(found.company.name if found.company else "")
        if match.internal_user:
            str(match.internal_user.username)
    return match, [query["sql"] for query in queries.captured_queries]


@pytest.mark.parametrize("prepared", [True, False], ids=["prepared", "unprepared"])
def test_each_match_runs_one_statement_per_step_it_takes(settings, prepared):
    # given contacts with companies, one stored with its country and one without, and a colleague
    settings.DB_PREPARED_STATEMENTS = prepared
    contact(first_name="Exact", company="Initech", phones=["+1 650 555 0100"])
    contact(first_name="London", company="Globex", phones=["(207) 946-0958"])
    agent(extension_number="101")
    exact, fallback = match_statements().exact, match_statements().last_digits

    # when numbers are matched, then each step taken is one statement, its contacts complete
    match, sql = match_queries("+16505550100")
    assert (match.method, len(sql)) == ("e164", 1)
    assert sql[0].startswith(exact.split(" WHERE ")[0])
    assert "WHERE p.e164 = '+16505550100'" in sql[0]
    match, sql = match_queries("+44 20 7946 0958")
    assert (match.method, len(sql)) == ("last_digits", 2)
    assert "WHERE p.e164 = '+442079460958'" in sql[0]
    assert "WHERE p.country_assumed AND p.tail = '9460958'" in sql[1]
    match, sql = match_queries("946-0958")  # no area code: no E.164 form to look up
    assert (match.method, len(sql)) == ("last_digits", 1)
    assert fallback.split(" WHERE ")[0] == exact.split(" WHERE ")[0]
    match, sql = match_queries("+1 212 555 0123")
    assert (match.method, len(sql)) == ("none", 2)
    match, sql = match_queries("101")
    assert (match.method, len(sql)) == ("extension", 1)
    assert '"crm_user"."extension_number" = \'101\'' in sql[0]
    match, sql = match_queries("anonymous")
    assert (match.method, sql) == ("none", [])


def prepared_statement(sql: str) -> tuple[str, int, datetime] | None:
    """This session's prepared statement for `sql`: its name, how many times it was executed,
    when it was prepared."""
    placeholders = iter(range(1, 10))
    server_text = re.sub(r"%s|%%", lambda m: f"${next(placeholders)}" if m[0] == "%s" else "%", sql)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, generic_plans + custom_plans, prepare_time "
            "FROM pg_prepared_statements WHERE statement = %s",
            [server_text],
        )
        rows = cursor.fetchall()
    assert len(rows) <= 1
    return rows[0] if rows else None


def test_matching_statements_are_prepared_on_the_connection_and_reused():
    if connection.vendor != "postgresql":
        pytest.skip("server-side prepared statements are PostgreSQL's")
    # given a contact with a UK number stored without its country code
    london = contact(phones=["(207) 946-0958"])
    # when its real caller ID runs both statements
    assert [c.pk for c in contact_match_number(number="+44 20 7946 0958").contacts] == [london.pk]
    # then each is a prepared statement of this connection
    exact = prepared_statement(match_statements().exact)
    fallback = prepared_statement(match_statements().last_digits)
    assert exact is not None
    assert fallback is not None
    # and the next match executes the same statements again, not new ones
    assert [c.pk for c in contact_match_number(number="+442079460958").contacts] == [london.pk]
    assert prepared_statement(match_statements().exact) == (exact[0], exact[1] + 1, exact[2])
    assert prepared_statement(match_statements().last_digits) == (
        fallback[0],
        fallback[1] + 1,
        fallback[2],
    )


def test_a_number_shared_by_more_contacts_than_the_limit_loads_only_the_limit():
    # given more contacts on one switchboard number than a match returns
    for i in range(MATCH_LIMIT + 5):
        contact(first_name=f"Desk{i}", phones=["+1 650 555 0100"])
    Contact.objects.update(last_activity_at=datetime(2026, 3, 1, tzinfo=UTC))
    latest = sorted(Contact.objects.values_list("pk", flat=True), reverse=True)[:MATCH_LIMIT]
    rows_read: list[int] = []

    def count_rows(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        rows_read.append(context["cursor"].rowcount)
        return result

    # when the number calls
    with connection.execute_wrapper(count_rows):
        match = contact_match_number(number="+16505550100")
    # then exactly the limit comes back, the most recent first, and the database sent no more
    assert [c.pk for c in match.contacts] == latest
    assert rows_read == [MATCH_LIMIT]
