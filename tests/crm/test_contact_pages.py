from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from crm import selectors
from crm.models import Company, Contact, ContactPhone, Note
from crm.services import ContactData, call_log_upsert, contact_create, note_create
from tests.factories import call_record, contact, supervisor

pytestmark = pytest.mark.django_db


def contact_form(**overrides) -> dict:
    data = {
        "first_name": "Casey",
        "last_name": "Caller",
        "title": "Buyer",
        "company": "Initech",
        "email": "casey@initech.example",
        "secondary_email": "",
        "status": "lead",
        "owner": "",
        "phones-TOTAL_FORMS": "2",
        "phones-INITIAL_FORMS": "0",
        "phones-MIN_NUM_FORMS": "0",
        "phones-MAX_NUM_FORMS": "10",
        "phones-0-raw": "(650) 555-0100",
        "phones-0-kind": "mobile",
        "phones-1-raw": "+44 20 7946 0958",
        "phones-1-kind": "work",
    }
    data.update(overrides)
    return data


def test_creating_a_contact_stores_numbers_in_e164_and_creates_the_company(client):
    response = client.post("/contacts/new/", contact_form())
    casey = Contact.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/contacts/{casey.pk}/"
    assert (casey.name, casey.title, casey.company.name, casey.email) == (
        "Casey Caller",
        "Buyer",
        "Initech",
        "casey@initech.example",
    )
    assert list(casey.phones.values_list("raw", "kind", "e164", "country_assumed")) == [
        ("(650) 555-0100", "mobile", "+16505550100", True),
        ("+44 20 7946 0958", "work", "+442079460958", False),
    ]


def test_new_contact_form_offers_the_signed_in_user_as_owner(client, alex):
    response = client.get("/contacts/new/")
    assert response.context["form"]["owner"].value() == alex.pk


def test_invalid_number_is_refused_inline_and_nothing_is_written(client):
    response = client.post("/contacts/new/", contact_form(**{"phones-1-raw": "12"}))
    assert response.status_code == 422
    assert "&#x27;12&#x27; is too short to be a phone number" in response.content.decode()
    assert Contact.objects.count() == 0
    assert Company.objects.count() == 0


def test_contact_needs_a_name(client):
    response = client.post("/contacts/new/", contact_form(first_name="", last_name=""))
    assert response.status_code == 422
    assert "Enter a first or last name." in response.content.decode()
    assert Contact.objects.count() == 0


def test_invalid_email_is_refused(client):
    response = client.post("/contacts/new/", contact_form(email="not-an-email"))
    assert response.status_code == 422
    assert "Enter a valid email address." in response.content.decode()
    assert Contact.objects.count() == 0


def test_same_number_twice_on_the_form_is_refused(client):
    response = client.post("/contacts/new/", contact_form(**{"phones-1-raw": "650.555.0100"}))
    assert response.status_code == 422
    assert "Same number as number 1." in response.content.decode()
    assert Contact.objects.count() == 0


def test_editing_replaces_the_numbers_and_keeps_a_kept_one(client):
    casey = contact(phones=["+1 650 555 0100", "+1 415 555 0199"])
    kept = casey.phones.get(e164="+16505550100")
    response = client.post(
        f"/contacts/{casey.pk}/edit/",
        contact_form(
            **{
                "phones-INITIAL_FORMS": "2",
                "phones-0-raw": "650-555-0100",
                "phones-0-kind": "work",
                "phones-1-raw": "",
            }
        ),
    )
    assert response.status_code == 302
    assert list(casey.phones.values_list("pk", "raw", "kind", "e164")) == [
        (kept.pk, "650-555-0100", "work", "+16505550100"),
    ]


@pytest.mark.parametrize(
    "query",
    [
        "(650) 555-0100",
        "+16505550100",
        "16505550100",
        "650.555.0100",
        "555-0100",
        "650 555",
        "initech",
        "CASEY@init",
        "casey call",
        "Buyer",
    ],
)
def test_search_finds_a_contact_by_any_number_format_or_text(client, query):
    casey = contact(
        first_name="Casey",
        company="Initech",
        title="Buyer",
        email="casey@initech.example",
        phones=["+1 650 555 0100"],
    )
    contact(
        first_name="Other", company="Globex", email="o@globex.example", phones=["+1 415 555 0199"]
    )
    response = client.get("/contacts/", {"q": query})
    assert list(response.context["page"].object_list) == [casey]


def test_search_of_an_international_number_in_another_format(client):
    london = contact(first_name="London", phones=["+442079460958"])
    response = client.get("/contacts/", {"q": "+44 20 7946 0958"})
    assert list(response.context["page"].object_list) == [london]


def test_search_as_you_type_returns_only_the_results(client):
    contact(first_name="Casey")
    response = client.get("/contacts/", {"q": "cas"}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert "Casey Caller" in body
    assert response["Vary"] == "HX-Request, Cookie"


def test_search_with_no_result_says_so(client):
    contact(first_name="Casey")
    response = client.get("/contacts/", {"q": "nobody-like-this"}, HTTP_HX_REQUEST="true")
    assert "No contacts match “nobody-like-this”" in response.content.decode()


def test_contact_list_pages_25_at_a_time_most_recent_activity_first(client):
    for i in range(30):
        contact(first_name=f"C{i:02d}")
    Contact.objects.update(last_activity_at=datetime(2026, 1, 1, tzinfo=UTC))
    newest = Contact.objects.get(first_name="C07")
    note_create(contact=newest, author=None, body="Called back")
    first = client.get("/contacts/").context["page"]
    second = client.get("/contacts/", {"page": 2}).context["page"]
    assert (len(first.object_list), len(second.object_list)) == (25, 5)
    assert first.object_list[0] == newest
    assert {c.pk for c in first.object_list} | {c.pk for c in second.object_list} == set(
        Contact.objects.values_list("pk", flat=True)
    )


def test_adding_a_note_shows_it_on_the_timeline(client, alex):
    casey = contact()
    response = client.post(
        f"/contacts/{casey.pk}/notes/", {"body": "Wants 40 seats"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "Wants 40 seats" in response.content.decode()
    note = Note.objects.get()
    assert (note.contact, note.author, note.body) == (casey, alex, "Wants 40 seats")


def test_empty_note_is_refused_and_nothing_is_written(client):
    casey = contact()
    response = client.post(f"/contacts/{casey.pk}/notes/", {"body": "  "}, HTTP_HX_REQUEST="true")
    assert response.status_code == 422
    assert "Write something first." in response.content.decode()
    assert Note.objects.count() == 0


def test_timeline_merges_calls_and_notes_by_time_and_pages_without_gaps(client, alex):
    # given 20 calls and 20 notes at interleaved times, two of them at the same instant
    casey = contact(phones=["+16505550100"])
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    for i in range(20):
        call_log_upsert(
            record=call_record(rc_id=f"C{i}", agent=alex, start_time=t0 + timedelta(hours=2 * i))
        )
        note = note_create(contact=casey, author=alex, body=f"note {i}")
        Note.objects.filter(pk=note.pk).update(created_at=t0 + timedelta(hours=2 * i + 1))
    Note.objects.filter(body="note 5").update(created_at=t0 + timedelta(hours=10))
    # when the timeline is read page by page
    seen, cursor = [], None
    while True:
        params = {"cursor": cursor} if cursor else {}
        response = client.get(f"/contacts/{casey.pk}/timeline/", params)
        page = response.context["timeline"]
        seen += [(e.kind, e.at) for e in page.entries]
        cursor = page.next_cursor
        if cursor is None:
            break
    # then every entry came once, newest first: the contact's creation, then the notes and calls
    assert len(seen) == 41
    assert seen == sorted(seen, key=lambda e: e[1], reverse=True)
    assert seen[0] == ("change", casey.change_log.get().at)
    assert seen[1] == ("note", t0 + timedelta(hours=39))
    assert sum(1 for kind, _ in seen if kind == "call") == 20


def test_a_forged_timeline_cursor_is_a_400_page_that_does_not_echo_it(client):
    casey = contact()
    response = client.get(
        f"/contacts/{casey.pk}/timeline/", {"cursor": '"><script>alert(1)</script>'}
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert "<h1>Bad request</h1>" in page
    assert "That is not a timeline position. Reload the contact&#x27;s page." in page
    assert "script" not in page.split("<main")[1]


def test_phone_check_shows_the_e164_form_or_why_it_is_refused(client):
    ok = client.get("/contacts/check-phone/", {"phones-0-raw": "(650) 555-0100"})
    bad = client.get("/contacts/check-phone/", {"phones-0-raw": "555 0100"})
    assert "+1 650-555-0100" in ok.content.decode()
    assert "is missing its area code" in bad.content.decode()


def test_phone_check_names_who_else_has_the_number(client):
    casey = contact(first_name="Casey", phones=["+16505550100"])
    response = client.get("/contacts/check-phone/", {"number": "650 555 0100"})
    assert f'href="/contacts/{casey.pk}/"' in response.content.decode()


def test_email_check_warns_of_a_duplicate(client):
    casey = contact(email="casey@initech.example")
    response = client.get("/contacts/check-email/", {"email": "CASEY@initech.example"})
    assert f'href="/contacts/{casey.pk}/"' in response.content.decode()
    response = client.get(
        "/contacts/check-email/", {"email": "casey@initech.example", "contact": casey.pk}
    )
    assert response.content.decode().strip() == ""


def test_agents_cannot_delete_contacts(client):
    casey = contact()
    response = client.post(f"/contacts/{casey.pk}/delete/")
    assert response.status_code == 403
    assert Contact.objects.filter(pk=casey.pk).exists()


def test_supervisor_deletes_a_contact_and_keeps_its_calls():
    sam = supervisor()
    casey = contact(phones=["+16505550100"])
    call = call_log_upsert(record=call_record(rc_id="A1"))
    client = Client()
    client.force_login(sam)
    response = client.post(f"/contacts/{casey.pk}/delete/")
    assert response.status_code == 302
    assert not Contact.objects.filter(pk=casey.pk).exists()
    assert ContactPhone.objects.count() == 0
    call.refresh_from_db()
    assert call.contact is None


def test_post_without_csrf_token_is_refused_and_nothing_is_written(alex):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alex)
    response = client.post("/contacts/new/", contact_form())
    assert response.status_code == 403
    assert Contact.objects.count() == 0


def test_company_rename_is_found_by_its_contacts_search(client):
    casey = contact(company="Initech")
    company = casey.company
    response = client.post(
        f"/companies/{company.pk}/edit/", {"name": "Initrode", "domain": "initrode.example"}
    )
    assert response.status_code == 302
    found = client.get("/contacts/", {"q": "initrode"}).context["page"].object_list
    assert list(found) == [casey]
    assert list(client.get("/contacts/", {"q": "initech"}).context["page"].object_list) == []


def test_company_names_are_unique_in_any_letter_case(client):
    contact(company="Initech")
    response = client.post("/companies/new/", {"name": "INITECH"})
    assert response.status_code == 422
    assert "A company named &#x27;INITECH&#x27; already exists." in response.content.decode()
    assert Company.objects.count() == 1


def test_company_page_lists_its_people(client):
    casey = contact(first_name="Casey", company="Initech")
    contact(first_name="Other", company="Globex")
    response = client.get(f"/companies/{casey.company_id}/")
    assert list(response.context["contacts"].object_list) == [casey]


def test_company_search(client):
    contact(company="Initech")
    contact(company="Globex")
    response = client.get("/companies/", {"q": "glob"})
    assert [c.name for c in response.context["page"].object_list] == ["Globex"]


def test_company_list_counts_each_companys_contacts(client):
    # given companies with two, one and no contacts
    contact(first_name="A", company="Initech")
    contact(first_name="B", company="Initech")
    contact(first_name="C", company="Globex")
    contact(first_name="Nobody's")
    Company.objects.create(name="Empty Co")
    Company.objects.filter(name="Empty Co").update(
        last_activity_at=datetime(2020, 1, 1, tzinfo=UTC)
    )
    # when the list is shown
    response = client.get("/companies/")
    # then each company has its own count, and the page its total
    assert [(c.name, c.contact_count) for c in response.context["page"].object_list] == [
        ("Globex", 1),
        ("Initech", 2),
        ("Empty Co", 0),
    ]
    assert response.context["page"].paginator.count == 3


def test_company_list_counts_contacts_per_company_shown_not_over_all_contacts():
    # the count is a per-row subquery: no join of every contact, no GROUP BY over the companies
    sql = str(selectors.company_list(query="ini")[:25].query)
    outer = sql[sql.index('AS "contact_count"') :]  # FROM, WHERE, ORDER BY of the list
    assert "crm_contact" not in outer
    assert "GROUP BY" not in outer


def test_new_contact_from_a_company_page_names_the_company(client):
    # given a company's page
    company = Company.objects.create(name="Smith & Sons")
    page = client.get(f"/companies/{company.pk}/").content.decode()
    assert 'href="/contacts/new/?company=Smith%20%26%20Sons">New contact</a>' in page

    # when its "New contact" link is followed, then the form has the company filled in
    response = client.get("/contacts/new/", {"company": "Smith & Sons"})
    assert response.status_code == 200
    assert response.context["form"]["company"].value() == "Smith & Sons"
    assert 'name="company" id="id_company" value="Smith &amp; Sons"' in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/contacts/?q=ab%00c",
        "/contacts/?q=650%00555",
        "/contacts/export.csv?q=ab%00c",
        "/companies/?q=ab%00c",
        "/companies/options/?company=ab%00c",
        "/contacts/check-email/?email=a%00@b.example",
        "/contacts/check-phone/?number=650%00555%000100",
        "/contacts/new/?company=ab%00c",
        "/calls/?q=ab%00c",
        "/messages/?q=650%00555",
    ],
)
def test_nul_characters_in_query_parameters_are_not_a_server_error(client, url):
    # PostgreSQL refuses U+0000 in a text parameter
    response = client.get(url)
    assert response.status_code < 500
    if url.startswith("/contacts/export"):
        b"".join(response.streaming_content)


def test_overlong_email_is_refused_inline_not_a_server_error(client):
    long_email = "a" * 250 + "@example.com"
    response = client.post("/contacts/new/", contact_form(secondary_email=long_email))
    assert response.status_code == 422
    assert "at most 254 characters" in response.content.decode()
    assert Contact.objects.count() == 0


def test_contact_service_refuses_an_overlong_email():
    with pytest.raises(ValidationError) as refused:
        contact_create(
            data=ContactData(first_name="Ana", email="a" * 250 + "@example.com"), by=None
        )
    assert refused.value.message_dict == {"email": ["Emails are at most 254 characters."]}


def test_a_bad_filter_leaves_the_valid_ones_applied_in_the_list_and_the_export(client):
    contact(first_name="Ana", last_name="Adeyemi", email="ana@initech.example")
    contact(first_name="Ben", last_name="Baker", email="ben@globex.example")
    query = {"q": "adeyemi", "company": "99999999999999999999999"}
    page = client.get("/contacts/", query).content.decode()
    assert "Adeyemi" in page and "Baker" not in page
    export = b"".join(client.get("/contacts/export.csv", query).streaming_content).decode()
    assert "ana@initech.example" in export and "ben@globex.example" not in export
