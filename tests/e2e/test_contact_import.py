"""A CSV import too large to apply in the request: a real Celery worker applies it while the
preview page follows its progress and then shows the result, with no reload by hand."""

import re

import pytest
from django.db import connection, transaction
from playwright.sync_api import expect

from crm.contact_import import INLINE_ROWS
from crm.models import Contact, ContactImport
from tests.e2e.test_contacts import sign_in
from tests.factories import agent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]

GOOD_ROWS = INLINE_ROWS + 30


def large_csv(tmp_path) -> str:
    lines = ["first_name,last_name,company,email,mobile_phone"]
    lines += [
        f"Pat{i},Importee,Bulk Co,pat{i}@bulk.example,+1 650 555 {1000 + i:04d}"
        for i in range(GOOD_ROWS)
    ]
    lines.append("Bad,Number,Bulk Co,bad@bulk.example,12")
    path = tmp_path / "bulk.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_a_large_import_is_applied_by_a_worker_while_the_page_follows_it(
    asgi_server, celery_worker, page, tmp_path
):
    # given an agent who uploads a file of more rows than a request applies
    agent(username="alex")
    sign_in(page, asgi_server, "alex")
    page.goto(asgi_server + "/contacts/import/")
    page.get_by_label("CSV file").set_input_files(large_csv(tmp_path))
    page.get_by_role("button", name="Preview import").click()
    expect(page.locator(".stat.create strong")).to_have_text(str(GOOD_ROWS))
    expect(page.locator(".stat.refuse strong")).to_have_text("1")
    assert Contact.objects.count() == 0

    # when they apply it, while the worker is held back from writing contacts
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE crm_contact IN SHARE MODE")
        page.get_by_role("button", name=f"Import {GOOD_ROWS} contacts").click()

        # then the page says a worker is on it and shows its progress
        expect(page.get_by_role("status").first).to_contain_text(
            f"Importing {GOOD_ROWS} contacts; this page follows the progress."
        )
        expect(page.locator("#import-progress")).to_contain_text(
            re.compile(rf"(Waiting for a worker to start|Importing: row \d+ of {GOOD_ROWS + 1})")
        )
        expect(page.locator(".page-header .sub")).to_have_text("Importing…")

    # and once the worker is through, the page shows the result by itself
    expect(page.locator(".page-header .sub")).to_contain_text("Imported", timeout=60_000)
    expect(page.locator("#import-progress")).to_have_count(0)
    expect(page.locator(".stat.create")).to_contain_text(f"{GOOD_ROWS}created")
    expect(page.locator(".stat.refuse")).to_contain_text("1refused")
    expect(page.locator("#refused-rows tbody tr")).to_have_text(
        [re.compile(r"mobile number '12' is too short to be a phone number")]
    )
    assert ContactImport.objects.get().status == ContactImport.Status.APPLIED
    assert Contact.objects.count() == GOOD_ROWS
