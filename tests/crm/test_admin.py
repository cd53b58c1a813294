import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from crm.matching import contact_match_number
from crm.models import CallLog, Company, Contact, ContactPhone, MessageLog
from crm.services import call_log_upsert, message_log_upsert, note_create
from tests.factories import agent, call_record, contact, message_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def data():
    alex = agent(username="alex")
    casey = contact(first_name="Casey", company="Initech", phones=["+16505550100"])
    note_create(contact=casey, author=alex, body="Call back Friday")
    call = call_log_upsert(record=call_record(rc_id="RC-CALL-1", agent=alex))
    message = message_log_upsert(record=message_record(rc_id="RC-MSG-1", agent=alex))
    return {"casey": casey, "call": call, "message": message}


@pytest.mark.parametrize(
    "model",
    [
        "company",
        "contact",
        "contactphone",
        "disposition",
        "calllog",
        "messagelog",
        "note",
        "contactimport",
        "contactchange",
        "user",
    ],
)
def test_every_model_has_a_searchable_admin_list(admin_client, data, model):
    response = admin_client.get(f"/admin/crm/{model}/", {"q": "casey"})
    assert response.status_code == 200


def test_admin_finds_calls_by_ringcentral_id_and_contact_name(admin_client, data):
    by_id = admin_client.get("/admin/crm/calllog/", {"q": "RC-CALL-1"})
    by_name = admin_client.get("/admin/crm/calllog/", {"q": "Casey"})
    assert list(by_id.context["cl"].result_list) == [data["call"]]
    assert list(by_name.context["cl"].result_list) == [data["call"]]


def test_ringcentral_ids_are_read_only_in_admin(admin_client, data):
    call, message = data["call"], data["message"]
    page = admin_client.get(f"/admin/crm/calllog/{call.pk}/change/")
    assert "rc_id" not in page.context["adminform"].form.fields
    assert set(page.context["adminform"].form.fields) == {"contact", "disposition", "notes"}
    admin_client.post(
        f"/admin/crm/calllog/{call.pk}/change/",
        {"rc_id": "FORGED", "session_id": "FORGED", "contact": "", "notes": "checked"},
    )
    call.refresh_from_db()
    assert (call.rc_id, call.session_id, call.notes) == (
        "RC-CALL-1",
        "session-RC-CALL-1",
        "checked",
    )
    page = admin_client.get(f"/admin/crm/messagelog/{message.pk}/change/")
    assert set(page.context["adminform"].form.fields) == {"contact"}
    assert admin_client.get("/admin/crm/calllog/add/").status_code == 403


def test_admin_contact_number_is_normalised_and_matchable(admin_client):
    response = admin_client.post(
        "/admin/crm/contact/add/",
        {
            "first_name": "Dana",
            "last_name": "Diaz",
            "title": "",
            "company": "",
            "email": "",
            "secondary_email": "",
            "status": "lead",
            "owner": "",
            "phones-TOTAL_FORMS": "1",
            "phones-INITIAL_FORMS": "0",
            "phones-0-raw": "(650) 555-0177",
            "phones-0-kind": "work",
            "notes-TOTAL_FORMS": "0",
            "notes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    dana = Contact.objects.get()
    assert list(dana.phones.values_list("e164", "country_assumed", "tail")) == [
        ("+16505550177", True, "5550177")
    ]
    assert dana.search_text == "dana diaz"
    assert contact_match_number(number="+16505550177").contact == dana
    # and its creation is logged as the admin's, through admin
    created = dana.change_log.get()
    assert (created.by.username, created.via, created.action, created.changes) == (
        "root",
        "admin",
        "created",
        [
            {"field": "first_name", "old": "", "new": "Dana"},
            {"field": "last_name", "old": "", "new": "Diaz"},
            {"field": "status", "old": "", "new": "Lead"},
            {"field": "phone", "old": "", "new": "+1 650-555-0177 (Work)"},
        ],
    )


def test_admin_refuses_an_invalid_number(admin_client):
    response = admin_client.post(
        "/admin/crm/contact/add/",
        {
            "first_name": "Dana",
            "status": "lead",
            "phones-TOTAL_FORMS": "1",
            "phones-INITIAL_FORMS": "0",
            "phones-0-raw": "12",
            "phones-0-kind": "work",
            "notes-TOTAL_FORMS": "0",
            "notes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "&#x27;12&#x27; is too short to be a phone number" in response.content.decode()
    assert Contact.objects.count() == 0


def test_admin_company_rename_keeps_contact_search_and_activity(admin_client, data):
    company = data["casey"].company
    before = Company.objects.get(pk=company.pk).last_activity_at
    response = admin_client.post(
        f"/admin/crm/company/{company.pk}/change/",
        {
            "name": "Initrode",
            "domain": "",
            "industry": "",
            "phone": "",
            "address": "",
            "description": "",
        },
    )
    assert response.status_code == 302
    assert Contact.objects.get().search_text == "casey caller initrode"
    assert Company.objects.get(pk=company.pk).last_activity_at == before


def test_seed_demo_crm_creates_a_realistic_set_once():
    call_command("seed_demo_users", stdout=None)
    call_command("seed_demo_crm", contacts=120)
    contacts, phones = Contact.objects.count(), ContactPhone.objects.count()
    call_command("seed_demo_crm", contacts=120)
    assert (Contact.objects.count(), ContactPhone.objects.count()) == (contacts, phones)
    assert contacts == 120
    assert Company.objects.count() == 36
    assert phones > contacts
    raws = list(ContactPhone.objects.values_list("raw", flat=True))
    assert any(r.startswith("(") for r in raws) and any(r.startswith("+44") for r in raws)
    assert any("." in r for r in raws)
    phone = ContactPhone.objects.order_by("id").first()
    assert phone.contact in contact_match_number(number=phone.e164).contacts
    assert CallLog.objects.count() == 0
    assert MessageLog.objects.count() == 0
