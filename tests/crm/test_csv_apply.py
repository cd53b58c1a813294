"""Applying an import: small plans in the request, larger ones by a Celery worker with the page
following its progress; a failure changes nothing and the import can be applied again."""

import threading
import time

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client

from crm import contact_import as imports
from crm.models import Contact, ContactImport
from crm.roles import AGENTS, set_role
from crm.services import OWNER_GIFT_REFUSED, ContactData, contact_update
from tests.factories import agent, contact, supervisor

ROWS = "name,email,mobile\n" + "".join(
    f"Person {i},person{i}@example.com,+1 650 555 01{i:02d}\n" for i in range(12)
)


def upload(client, text: str) -> ContactImport:
    client.post("/contacts/import/", {"file": SimpleUploadedFile("c.csv", text.encode())})
    return ContactImport.objects.latest("created_at")


@pytest.mark.django_db(transaction=True)
def test_a_large_import_is_applied_by_a_worker_and_the_page_follows(
    client, celery_worker, monkeypatch
):
    monkeypatch.setattr("crm.views.INLINE_ROWS", 5)
    contact_import = upload(client, ROWS)
    page = client.post(f"/contacts/import/{contact_import.pk}/apply/", follow=True)
    assert "Importing 12 contacts; this page follows the progress." in page.content.decode()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        contact_import.refresh_from_db()
        if contact_import.status != "applying":
            break
        time.sleep(0.2)
    assert contact_import.status == "applied"
    assert contact_import.result == {"created": 12, "updated": 0, "refused": []}
    assert Contact.objects.count() == 12

    progress = client.get(f"/contacts/import/{contact_import.pk}/progress/")
    assert progress["HX-Refresh"] == "true"
    page = client.get(f"/contacts/import/{contact_import.pk}/").content.decode()
    assert "Imported" in page


@pytest.mark.django_db
def test_progress_while_applying_is_for_the_uploader_only(client):
    contact_import = upload(client, ROWS)
    imports.contact_import_claim(contact_import=contact_import)
    url = f"/contacts/import/{contact_import.pk}/progress/"
    assert "Waiting for a worker" in client.get(url).content.decode()
    cache.set(imports._progress_key(contact_import.pk), 7)
    try:
        assert "row 7 of 12" in client.get(url).content.decode()
    finally:
        cache.delete(imports._progress_key(contact_import.pk))
    page = client.get(f"/contacts/import/{contact_import.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in page
    other = Client()
    other.force_login(agent(username="other"))
    assert other.get(url).status_code == 404
    again = client.post(f"/contacts/import/{contact_import.pk}/apply/", follow=True)
    assert "This import was applied or discarded already." in again.content.decode()


@pytest.mark.django_db
def test_a_failed_import_changes_nothing_and_can_be_applied_again(client, monkeypatch):
    contact_import = upload(client, ROWS[: ROWS.index("Person 3")])
    real_create = imports.contact_create
    calls = []

    def failing_create(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        return real_create(**kwargs)

    monkeypatch.setattr(imports, "contact_create", failing_create)
    page = client.post(f"/contacts/import/{contact_import.pk}/apply/", follow=True)
    text = page.content.decode()
    assert "The import failed and nothing was changed: database went away" in text
    contact_import.refresh_from_db()
    assert contact_import.status == "failed"
    assert Contact.objects.count() == 0

    monkeypatch.setattr(imports, "contact_create", real_create)
    client.post(f"/contacts/import/{contact_import.pk}/apply/")
    contact_import.refresh_from_db()
    assert (contact_import.status, Contact.objects.count()) == ("applied", 3)


@pytest.mark.django_db
def test_running_an_import_again_changes_nothing(client):
    contact_import = upload(client, ROWS)
    imports.contact_import_claim(contact_import=contact_import)
    imports.contact_import_run(import_id=contact_import.pk)
    imports.contact_import_run(import_id=contact_import.pk)  # a redelivered task
    assert Contact.objects.count() == 12


@pytest.mark.django_db
def test_a_long_preview_is_paged_and_filtered_by_what_happens(client):
    bad = "".join(f"Bad {i},bad{i}@example,\n" for i in range(30))
    good = "".join(f"Good {i},good{i}@example.com,\n" for i in range(220))
    contact_import = upload(client, "name,email,mobile\n" + bad + good)
    url = f"/contacts/import/{contact_import.pk}/"

    def rows(page):
        return page.content.decode().count("<tr data-action=")

    first = client.get(url)
    assert rows(first) == 100
    assert "1\u2013100 of 250" in first.content.decode()
    assert rows(client.get(url, {"page": 3})) == 50
    refused = client.get(url, {"action": "refuse"}).content.decode()
    assert refused.count('<tr data-action="refuse">') == 30
    assert "refused (30)" in refused
    assert (
        "No row of this file is updated." in client.get(url, {"action": "update"}).content.decode()
    )


@pytest.mark.django_db(transaction=True)
def test_an_edit_saved_while_an_import_applies_is_not_undone(monkeypatch):
    # given an import that updates Ann and then Bob, leaving Bob's title cell empty
    alex = agent(username="alex")
    client = Client()
    client.force_login(alex)
    contact(first_name="Ann", last_name="One", email="ann@example.com")
    bob = contact(first_name="Bob", last_name="Two", email="bob@example.com", title="Intern")
    contact_import = upload(
        client, "first_name,last_name,email\nAnn,One,ann@example.com\nBob,Two,bob@example.com\n"
    )
    assert [r["action"] for r in contact_import.plan["rows"]] == ["update", "update"]
    real_update = imports.contact_update
    edited = threading.Event()

    def update_then_someone_edits_bob(**kwargs):
        result = real_update(**kwargs)
        if not edited.is_set():  # after Ann's row, before Bob's: a person saves Bob's title
            thread = threading.Thread(target=promote, args=(bob.pk, alex))
            thread.start()
            thread.join()
            edited.set()
        return result

    # when the import is applied while that edit commits
    monkeypatch.setattr(imports, "contact_update", update_then_someone_edits_bob)
    imports.contact_import_apply(contact_import=contact_import)
    # then Bob keeps the title saved meanwhile: the empty cell kept what he holds now
    assert edited.is_set()
    assert Contact.objects.get(pk=bob.pk).title == "CEO"


def promote(contact_id: int, by) -> None:
    try:
        bob = Contact.objects.select_related("company", "owner").get(pk=contact_id)
        data = ContactData(
            first_name=bob.first_name,
            last_name=bob.last_name,
            title="CEO",
            email=bob.email,
            owner=bob.owner,
        )
        contact_update(contact=bob, data=data, by=by)
    finally:
        connection.close()


@pytest.mark.django_db
def test_rows_an_importer_may_no_longer_write_are_refused_and_the_rest_applied():
    # given a supervisor's preview giving a new contact to Alex, then the supervisor demoted
    sam = supervisor(username="sam")
    agent(username="alex")
    client = Client()
    client.force_login(sam)
    contact_import = upload(client, "name,owner\nAnn One,alex\nBob Two,\n")
    assert [r["action"] for r in contact_import.plan["rows"]] == ["create", "create"]
    set_role(sam, AGENTS)
    # when it is applied
    result = imports.contact_import_apply(contact_import=contact_import)
    # then Ann's row is refused with the reason and Bob's, which an agent may write, applied
    assert (result["created"], result["updated"]) == (1, 0)
    assert result["refused"] == [{"row": 2, "reason": OWNER_GIFT_REFUSED}]
    assert list(Contact.objects.values_list("first_name", "owner__username")) == [("Bob", "sam")]
