"""Changing a contact's owner is a supervisor's act; every change to a contact is kept (who,
when, what) and shown on its timeline."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm import selectors
from crm.models import Company, Contact, ContactChange, ContactImport, ContactPhone, Note
from crm.services import (
    OWNER_CHANGE_REFUSED,
    ContactData,
    call_log_upsert,
    contact_create,
    contact_update,
    note_create,
)
from tests.crm.test_contact_pages import contact_form
from tests.crm.test_csv import upload
from tests.factories import UserFactory, agent, call_record, contact, supervisor

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return {
        "alex": agent(username="alex", first_name="Alex", last_name="Agent"),
        "blake": agent(username="blake", first_name="Blake", last_name="Booker"),
        "sam": supervisor(username="sam", first_name="Sam", last_name="Super"),
    }


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def edit_form(casey: Contact, **overrides) -> dict:
    """The edit form as the browser posts it, unchanged but for `overrides`; an agent's
    browser posts no owner (the field is disabled)."""
    phones = list(casey.phones.all())
    data = {
        "first_name": casey.first_name,
        "last_name": casey.last_name,
        "title": casey.title,
        "company": casey.company.name if casey.company else "",
        "email": casey.email,
        "secondary_email": casey.secondary_email,
        "status": casey.status,
        "phones-TOTAL_FORMS": str(len(phones)),
        "phones-INITIAL_FORMS": "0",
        "phones-MIN_NUM_FORMS": "0",
        "phones-MAX_NUM_FORMS": "10",
    }
    for i, phone in enumerate(phones):
        data[f"phones-{i}-raw"] = phone.raw
        data[f"phones-{i}-kind"] = phone.kind
    data.update(overrides)
    return data


def new_contact_form(**overrides) -> dict:
    """The new-contact form as an agent's browser posts it: without the (disabled) owner."""
    data = contact_form(**overrides)
    del data["owner"]
    return data


def stored(casey: Contact) -> tuple:
    casey = Contact.objects.select_related("company").get(pk=casey.pk)
    phones = tuple(casey.phones.values_list("e164", "kind"))
    company = casey.company.name if casey.company else ""
    return (casey.first_name, casey.title, company, casey.owner_id, phones)


# --- The owner --------------------------------------------------------------------------------


def test_the_owner_is_read_only_on_an_agents_contact_form(people):
    casey = contact(owner=people["sam"], phones=["+1 650 555 0100"])
    for path in (f"/contacts/{casey.pk}/edit/", "/contacts/new/"):
        response = client_for(people["alex"]).get(path)
        owner = response.context["form"]["owner"]
        assert owner.field.widget.attrs["disabled"] is True
        assert owner.help_text == "Only a supervisor can change the owner."
        assert (
            '<select name="owner" disabled aria-describedby="id_owner_helptext" id="id_owner">'
        ) in response.content.decode()
    assert (
        client_for(people["alex"])
        .get(f"/contacts/{casey.pk}/edit/")
        .context["form"]["owner"]
        .value()
        == people["sam"].pk
    )
    # and a supervisor's is a choice
    response = client_for(people["sam"]).get(f"/contacts/{casey.pk}/edit/")
    assert "disabled" not in response.context["form"]["owner"].field.widget.attrs
    assert '<select name="owner" id="id_owner">' in response.content.decode()


def test_an_agent_edits_a_contact_and_its_owner_stays(people):
    # given Sam's contact
    casey = contact(owner=people["sam"], title="Buyer", phones=["+1 650 555 0100"])
    # when Alex saves the form, which names no owner
    response = client_for(people["alex"]).post(
        f"/contacts/{casey.pk}/edit/", edit_form(casey, title="Head buyer")
    )
    # then the edit is saved and Sam still owns the contact
    assert response.status_code == 302
    assert stored(casey) == (
        "Casey",
        "Head buyer",
        "",
        people["sam"].pk,
        (("+16505550100", "mobile"),),
    )
    change = casey.change_log.latest("id")
    assert (change.by, change.changes) == (
        people["alex"],
        [{"field": "title", "old": "Buyer", "new": "Head buyer"}],
    )


@pytest.mark.parametrize("owner", ["blake", ""], ids=["to-another-agent", "to-nobody"])
def test_an_agent_posting_an_owner_change_is_refused_and_nothing_is_saved(people, owner):
    # given Sam's contact
    casey = contact(owner=people["sam"], title="Buyer", phones=["+1 650 555 0100"])
    before = stored(casey)
    # when Alex posts a changed owner anyway, with other changes
    owner_id = str(people[owner].pk) if owner else ""
    response = client_for(people["alex"]).post(
        f"/contacts/{casey.pk}/edit/",
        edit_form(casey, owner=owner_id, title="CFO", **{"phones-0-raw": "+1 650 555 0199"}),
    )
    # then the form says why, and nothing was saved or logged
    assert response.status_code == 422
    assert response.context["form"].errors == {"owner": [OWNER_CHANGE_REFUSED]}
    assert "Only supervisors and admins can change a contact&#x27;s owner." in (
        response.content.decode()
    )
    assert stored(casey) == before
    assert casey.change_log.count() == 1  # its creation


def test_the_contact_services_refuse_an_agents_owner_change(people):
    alex, blake = people["alex"], people["blake"]
    casey = contact(owner=people["sam"], phones=["+1 650 555 0100"])
    before = stored(casey)
    with pytest.raises(ValidationError) as refused:
        contact_update(
            contact=casey,
            data=ContactData(first_name="Casey", title="CFO", owner=blake),
            phones=[],
            by=alex,
        )
    assert refused.value.message_dict == {"owner": [OWNER_CHANGE_REFUSED]}
    assert stored(casey) == before
    assert casey.change_log.count() == 1
    # and an agent's new contacts are theirs (or no one's), not someone else's
    with pytest.raises(ValidationError) as refused:
        contact_create(data=ContactData(first_name="Dana", owner=blake), by=alex)
    assert refused.value.message_dict == {
        "owner": [
            "Only supervisors and admins can give a contact to someone else; your new "
            "contacts are yours."
        ]
    }
    assert not Contact.objects.filter(first_name="Dana").exists()
    assert contact_create(data=ContactData(first_name="Dana", owner=alex), by=alex).owner == alex
    assert contact_create(data=ContactData(first_name="Eve"), by=alex).owner is None


@pytest.mark.parametrize("who", ["sam", "admin"])
def test_supervisors_and_admins_change_the_owner_and_it_is_logged(people, who):
    changer = people["sam"] if who == "sam" else UserFactory(username="ada", is_staff=True)
    casey = contact(owner=people["alex"])
    response = client_for(changer).post(
        f"/contacts/{casey.pk}/edit/", edit_form(casey, owner=str(people["blake"].pk))
    )
    assert response.status_code == 302
    casey.refresh_from_db()
    assert casey.owner == people["blake"]
    change = casey.change_log.latest("id")
    assert (change.by, change.via, change.action, change.changes) == (
        changer,
        "app",
        "updated",
        [{"field": "owner", "old": "Alex Agent", "new": "Blake Booker"}],
    )


# --- The change log ---------------------------------------------------------------------------


def test_creating_and_editing_a_contact_logs_who_when_and_each_value(client, alex):
    # given an agent who creates a contact on the form
    started = timezone.now()
    client.post("/contacts/new/", new_contact_form())
    casey = Contact.objects.get()
    created = casey.change_log.get()
    alex_name = str(alex)
    assert (created.by, created.action, created.via) == (alex, "created", "app")
    assert started <= created.at <= timezone.now()
    assert created.changes == [
        {"field": "first_name", "old": "", "new": "Casey"},
        {"field": "last_name", "old": "", "new": "Caller"},
        {"field": "title", "old": "", "new": "Buyer"},
        {"field": "company", "old": "", "new": "Initech"},
        {"field": "email", "old": "", "new": "casey@initech.example"},
        {"field": "status", "old": "", "new": "Lead"},
        {"field": "owner", "old": "", "new": alex_name},
        {"field": "phone", "old": "", "new": "+1 650-555-0100 (Mobile)"},
        {"field": "phone", "old": "", "new": "+44 20 7946 0958 (Work)"},
    ]
    # when they change fields, the company, a number's type, and replace a number
    edited = timezone.now()
    response = client.post(
        f"/contacts/{casey.pk}/edit/",
        new_contact_form(
            last_name="Carter",
            company="Globex",
            email="",
            status="customer",
            **{"phones-0-kind": "work", "phones-1-raw": "+1 415 555 0199"},
        ),
    )
    # then one change holds every old and new value, in the order of the form
    assert response.status_code == 302
    change = casey.change_log.latest("id")
    assert (change.by, change.action, change.via) == (alex, "updated", "app")
    assert edited <= change.at <= timezone.now()
    assert change.changes == [
        {"field": "last_name", "old": "Caller", "new": "Carter"},
        {"field": "company", "old": "Initech", "new": "Globex"},
        {"field": "email", "old": "casey@initech.example", "new": ""},
        {"field": "status", "old": "Lead", "new": "Customer"},
        {"field": "phone", "old": "+1 650-555-0100 (Mobile)", "new": "+1 650-555-0100 (Work)"},
        {"field": "phone", "old": "+44 20 7946 0958 (Work)", "new": ""},
        {"field": "phone", "old": "", "new": "+1 415-555-0199 (Work)"},
    ]
    # and when they clear the numbers, that is logged too
    client.post(
        f"/contacts/{casey.pk}/edit/",
        new_contact_form(
            last_name="Carter",
            company="Globex",
            email="",
            status="customer",
            **{"phones-TOTAL_FORMS": "0"},
        ),
    )
    assert casey.change_log.latest("id").changes == [
        {"field": "phone", "old": "+1 650-555-0100 (Work)", "new": ""},
        {"field": "phone", "old": "+1 415-555-0199 (Work)", "new": ""},
    ]
    assert ContactPhone.objects.count() == 0


def test_saving_a_contact_unchanged_logs_nothing(client):
    casey = contact(title="Buyer", company="Initech", phones=["+1 650 555 0100"])
    response = client.post(f"/contacts/{casey.pk}/edit/", edit_form(casey))
    assert response.status_code == 302
    assert list(casey.change_log.values_list("action", flat=True)) == ["created"]


def test_deleting_a_company_is_logged_on_each_of_its_contacts(people):
    casey = contact(first_name="Casey", company="Initech")
    dana = contact(first_name="Dana", company="Initech")
    company = Company.objects.get()
    response = client_for(people["sam"]).post(f"/companies/{company.pk}/delete/")
    assert response.status_code == 302
    for person in (casey, dana):
        change = person.change_log.latest("id")
        assert (change.by, change.via, change.changes) == (
            people["sam"],
            "app",
            [{"field": "company", "old": "Initech", "new": ""}],
        )


def test_csv_import_changes_are_logged_as_the_importer(client, alex):
    # given a contact that a file updates, and a row that creates one
    casey = contact(email="casey@initech.example", title="Buyer", phones=["+1 650 555 0100"])
    upload(
        client,
        "name,email,title,mobile_phone\n"
        "Casey Caller,casey@initech.example,CFO,+1 650 555 0101\n"
        "Dana Diaz,dana@example.com,,\n",
    )
    # when it is applied
    client.post(f"/contacts/import/{ContactImport.objects.get().pk}/apply/")
    # then each change is the importer's, through the import
    change = casey.change_log.latest("id")
    assert (change.by, change.via, change.action, change.changes) == (
        alex,
        "import",
        "updated",
        [
            {"field": "title", "old": "Buyer", "new": "CFO"},
            {"field": "phone", "old": "", "new": "+1 650-555-0101 (Mobile)"},
        ],
    )
    dana = Contact.objects.get(first_name="Dana")
    created = dana.change_log.get()
    assert (created.by, created.via, created.action) == (alex, "import", "created")
    assert {"field": "owner", "old": "", "new": str(alex)} in created.changes


def test_an_agents_import_may_not_change_or_give_owners(people):
    # given Sam's contact, and an agent's file that names owners
    alex = client_for(people["alex"])
    casey = contact(email="casey@initech.example", owner=people["sam"])
    upload(
        alex,
        "name,email,owner\n"
        "Casey Caller,casey@initech.example,blake\n"
        "Dana Diaz,dana@example.com,blake\n"
        "Eve Eden,eve@example.com,alex\n"
        "Casey Caller,casey@initech.example,sam\n",
    )
    # then the rows changing or giving owners are refused in the preview
    contact_import = ContactImport.objects.get()
    plan = alex.get(f"/contacts/import/{contact_import.pk}/").context["plan"]
    assert [(r.row, r.action, r.reason) for r in plan.rows] == [
        (2, "refuse", OWNER_CHANGE_REFUSED),
        (
            3,
            "refuse",
            "Only supervisors and admins can give a contact to someone else; your new "
            "contacts are yours.",
        ),
        (4, "create", ""),
        (5, "refuse", "Duplicate of row 2 (same email casey@initech.example)."),
    ]
    # and applying it changes no owner
    alex.post(f"/contacts/import/{contact_import.pk}/apply/")
    casey.refresh_from_db()
    assert casey.owner == people["sam"]
    assert Contact.objects.get(first_name="Eve").owner == people["alex"]
    assert not Contact.objects.filter(first_name="Dana").exists()


def test_an_owner_changed_after_the_preview_is_not_changed_back_by_an_agents_import(people):
    # given an agent's preview updating Sam's contact, naming Sam as its owner
    alex = client_for(people["alex"])
    casey = contact(email="casey@initech.example", owner=people["sam"])
    upload(alex, "name,email,title,owner\nCasey Caller,casey@initech.example,CFO,sam\n")
    contact_import = ContactImport.objects.get()
    assert [
        r.action for r in alex.get(f"/contacts/import/{contact_import.pk}/").context["plan"].rows
    ] == ["update"]
    # when a supervisor gives the contact to Blake, and then the agent applies the preview
    Contact.objects.filter(pk=casey.pk).update(owner=people["blake"])
    alex.post(f"/contacts/import/{contact_import.pk}/apply/")
    # then the row is refused, and the contact keeps Blake and its title
    contact_import.refresh_from_db()
    assert contact_import.result == {
        "created": 0,
        "updated": 0,
        "refused": [{"row": 2, "reason": OWNER_CHANGE_REFUSED}],
    }
    casey.refresh_from_db()
    assert (casey.owner, casey.title) == (people["blake"], "")


# --- On the timeline --------------------------------------------------------------------------


def test_changes_are_on_the_timeline_among_calls_and_notes_escaped(client, alex):
    # given a contact created long ago, a call, an edit with markup in it, and a note
    casey = contact(phones=["+16505550100"], by=alex)
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    ContactChange.objects.filter(contact=casey).update(at=t0)
    call_log_upsert(record=call_record(rc_id="C1", agent=alex, start_time=t0 + timedelta(hours=1)))
    contact_update(
        contact=casey,
        data=ContactData(first_name="Casey", last_name="Caller", title="<script>alert(1)</script>"),
        by=alex,
    )
    ContactChange.objects.filter(contact=casey, action="updated").update(at=t0 + timedelta(hours=2))
    note = note_create(contact=casey, author=alex, body="Called")
    Note.objects.filter(pk=note.pk).update(created_at=t0 + timedelta(hours=3))
    # when its page is shown
    response = client.get(f"/contacts/{casey.pk}/")
    # then the changes are entries in time order with the rest, their values escaped
    entries = response.context["timeline"].entries
    assert [(e.kind, e.at) for e in entries] == [
        ("note", t0 + timedelta(hours=3)),
        ("change", t0 + timedelta(hours=2)),
        ("call", t0 + timedelta(hours=1)),
        ("change", t0),
    ]
    page = response.content.decode()
    assert "<script>alert(1)</script>" not in page
    assert (
        '<li><span class="tl-field">Title</span>: <del>—</del> → '
        "<ins>&lt;script&gt;alert(1)&lt;/script&gt;</ins></li>"
    ) in page
    assert '<span class="tl-title">Contact created</span>' in page
    assert '<span class="tl-title">Contact changed</span>' in page
    assert '<li><span class="tl-field">Phone</span>: +1 650-555-0100 (Mobile)</li>' in page


def timeline_queries(client, casey: Contact) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/contacts/{casey.pk}/timeline/")
    assert response.status_code == 200
    return [q["sql"] for q in queries.captured_queries]


def test_a_timeline_page_reads_each_source_once_however_many_people_changed_it(client, alex):
    # given a contact changed once each by many people, and a call and a note
    casey = contact(phones=["+16505550100"])
    call_log_upsert(record=call_record(rc_id="C1", agent=alex))
    note_create(contact=casey, author=alex, body="Called")
    few = timeline_queries(client, casey)
    for i in range(30):
        editor = agent(username=f"editor{i}")
        contact_update(
            contact=casey, data=ContactData(first_name="Casey", title=f"T{i}"), by=editor
        )
    # when a page of its timeline is read, then it takes the same queries as with one change
    many = timeline_queries(client, casey)
    assert len(many) == len(few)
    changes = [sql for sql in many if 'FROM "crm_contactchange"' in sql]
    assert len(changes) == 1
    assert 'LEFT OUTER JOIN "crm_user"' in changes[0]
    assert changes[0].endswith(
        'ORDER BY "crm_contactchange"."at" DESC, "crm_contactchange"."id" DESC LIMIT 26'
    )


def test_the_timelines_change_query_is_answered_by_its_index():
    if connection.vendor != "postgresql":
        pytest.skip("plans are PostgreSQL's")
    casey = contact()
    changes = ContactChange.objects.filter(contact=casey).select_related("by")
    sql, params = changes.order_by("-at", "-id")[:26].query.sql_with_params()
    with connection.cursor() as cursor:
        # The test table is tiny, where a scan and a sort are cheapest; ask whether the index
        # can answer in order.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Index Scan using crm_change_contact_idx" in plan
    assert "Sort" not in plan


# --- In Django admin --------------------------------------------------------------------------


@pytest.fixture
def root():
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


def admin_contact_form(casey: Contact, **overrides) -> dict:
    phones = list(casey.phones.all())
    data = {
        "first_name": casey.first_name,
        "last_name": casey.last_name,
        "title": casey.title,
        "company": casey.company_id or "",
        "email": casey.email,
        "secondary_email": casey.secondary_email,
        "status": casey.status,
        "owner": casey.owner_id or "",
        "phones-TOTAL_FORMS": str(len(phones) + 1),
        "phones-INITIAL_FORMS": str(len(phones)),
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
    }
    for i, phone in enumerate(phones):
        data.update(
            {
                f"phones-{i}-id": phone.pk,
                f"phones-{i}-contact": casey.pk,
                f"phones-{i}-raw": phone.raw,
                f"phones-{i}-kind": phone.kind,
            }
        )
    data.update(overrides)
    return data


def test_admin_edits_are_logged_and_shown_in_admin(root, people):
    # given a contact with a number
    casey = contact(owner=people["alex"], phones=["+1 650 555 0100"])
    admin = client_for(root)
    # when an admin changes its owner, deletes its number and adds another in Django admin
    n = len(casey.phones.all())
    response = admin.post(
        f"/admin/crm/contact/{casey.pk}/change/",
        admin_contact_form(
            casey,
            owner=people["sam"].pk,
            **{
                "phones-0-DELETE": "on",
                f"phones-{n}-raw": "+1 415 555 0199",
                f"phones-{n}-kind": "work",
            },
        ),
    )
    # then one change logs it all, as the admin's, through admin
    assert response.status_code == 302
    change = casey.change_log.latest("id")
    assert (change.by, change.via, change.action, change.changes) == (
        root,
        "admin",
        "updated",
        [
            {"field": "owner", "old": "Alex Agent", "new": "Sam Super"},
            {"field": "phone", "old": "+1 650-555-0100 (Mobile)", "new": ""},
            {"field": "phone", "old": "", "new": "+1 415-555-0199 (Work)"},
        ],
    )
    # and deleting a number on its own admin page is logged too
    phone = casey.phones.get()
    assert (
        admin.post(f"/admin/crm/contactphone/{phone.pk}/delete/", {"post": "yes"}).status_code
        == 302
    )
    assert casey.change_log.latest("id").changes == [
        {"field": "phone", "old": "+1 415-555-0199 (Work)", "new": ""}
    ]
    # and both admin pages show the changes, escaped
    page = admin.get(f"/admin/crm/contact/{casey.pk}/change/").content.decode()
    assert "Owner: Alex Agent → Sam Super" in page
    assert f'href="/admin/crm/contactchange/?contact__id__exact={casey.pk}"' in page
    listing = admin.get("/admin/crm/contactchange/", {"contact__id__exact": casey.pk})
    assert [c.action for c in listing.context["cl"].result_list] == [
        "updated",
        "updated",
        "created",
    ]
    assert admin.get("/admin/crm/contactchange/add/").status_code == 403


def test_timeline_selector_includes_changes_for_agents_and_supervisors(people):
    casey = contact(by=people["alex"])
    for user in people.values():
        page = selectors.contact_timeline(user=user, contact=casey)
        assert [(e.kind, e.item.by) for e in page.entries] == [("change", people["alex"])]


def test_a_contact_whose_owner_was_deactivated_keeps_its_owner_when_edited():
    # given Casey owned by someone deactivated since
    gone = agent(username="gone")
    casey = contact(owner=gone)
    get_user_model().objects.filter(pk=gone.pk).update(is_active=False)
    # when an agent edits Casey (the owner field is read-only for them)
    response = client_for(agent(username="alex")).post(
        f"/contacts/{casey.pk}/edit/", edit_form(casey, title="CEO")
    )
    # then the edit is saved and the owner kept
    assert response.status_code == 302
    assert Contact.objects.values_list("title", "owner_id").get(pk=casey.pk) == ("CEO", gone.pk)
    # and a supervisor's form still offers that owner, so saving it keeps them too
    sam = client_for(supervisor(username="sam"))
    assert (
        f'<option value="{gone.pk}" selected>'
        in sam.get(f"/contacts/{casey.pk}/edit/").content.decode()
    )
    response = sam.post(f"/contacts/{casey.pk}/edit/", edit_form(casey, owner=str(gone.pk)))
    assert response.status_code == 302
    assert Contact.objects.get(pk=casey.pk).owner_id == gone.pk
