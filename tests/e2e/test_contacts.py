import csv
import re

import pytest
from playwright.sync_api import expect

from crm.models import Contact
from crm.services import call_log_upsert, message_log_upsert
from tests.factories import agent, call_record, contact, message_record

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile("Welcome"))).to_be_visible()


def test_agent_creates_a_contact_finds_it_by_another_number_format_and_sees_its_timeline(
    asgi_server, page
):
    # given an agent who already had a call and a text with a number nobody has yet
    alex = agent(username="alex", first_name="Alex")
    call_log_upsert(
        record=call_record(
            rc_id="CALL-1",
            remote="+16505550142",
            agent=alex,
            result="Accepted",
            duration_seconds=185,
        )
    )
    message_log_upsert(
        record=message_record(
            rc_id="SMS-1", remote="+16505550142", agent=alex, subject="Can we talk Thursday?"
        )
    )
    contact(first_name="Someone", last_name="Else", phones=["+1 415 555 0199"])
    sign_in(page, asgi_server, "alex")

    # when they add the caller as a contact, checking the number as they type it
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.get_by_role("link", name="New contact").first.click()
    # Typing starts once the page has loaded: htmx wires the number check up on load.
    page.wait_for_url(f"{asgi_server}/contacts/new/")
    page.get_by_label("First name").fill("Casey")
    page.get_by_label("Last name").fill("Caller")
    page.get_by_label("Company").fill("Initech")
    number = page.get_by_placeholder("Phone number")
    number.fill("12")
    expect(page.locator(".phone-check")).to_contain_text("is too short to be a phone number")
    number.fill("(650) 555-0142")
    expect(page.locator(".phone-check")).to_contain_text("+1 650-555-0142")
    page.get_by_role("button", name="Create contact").click()

    # then their page shows its creation, and the earlier call and text, on the timeline
    expect(page.get_by_role("heading", name="Casey Caller")).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.locator(".tl-item")).to_have_count(3)
    expect(timeline.locator(".tl-item").first).to_contain_text("Contact created")
    expect(timeline.locator(".tl-item").first).to_contain_text("Phone: +1 650-555-0142 (Mobile)")

    # when they search the contact list with the number in another format
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    page.wait_for_url(f"{asgi_server}/contacts/")
    search = page.get_by_role("searchbox", name="Search contacts")
    search.press_sequentially("650.555.0142", delay=20)
    results = page.locator("#results tbody tr")
    expect(results).to_have_count(1)
    expect(results.first).to_contain_text("Casey Caller")
    expect(page).to_have_url(re.compile(r"/contacts/\?q=650\.555\.0142"))

    # and the export holds what the list shows
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    with open(download.value.path(), encoding="utf-8-sig") as exported:
        rows = list(csv.reader(exported))
    assert [row[:4] for row in rows[1:]] == [["Casey", "Caller", "", "Initech"]]
    results.first.get_by_role("link", name="Casey Caller").click()

    # and add a note from the keyboard
    casey = Contact.objects.get(first_name="Casey")
    page.wait_for_url(f"{asgi_server}/contacts/{casey.pk}/")
    note = page.get_by_placeholder(re.compile("Add a note"))
    note.fill("Wants 40 seats; send the quote by Friday.")
    note.press("Control+Enter")

    # then the timeline shows the note, the creation, the text and the call, newest first
    items = page.locator("#timeline .tl-item")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text("Note")
    expect(items.nth(0)).to_contain_text("Wants 40 seats; send the quote by Friday.")
    expect(items.nth(0)).to_contain_text("Alex")
    expect(items.nth(1)).to_contain_text("Contact created")
    expect(items.nth(2)).to_contain_text("SMS received")
    expect(items.nth(2)).to_contain_text("Can we talk Thursday?")
    expect(items.nth(3)).to_contain_text("Inbound call")
    expect(items.nth(3)).to_contain_text("Accepted")
    expect(items.nth(3)).to_contain_text("3:05")
    expect(note).to_have_value("")
    expect(note).to_be_focused()


def test_contact_form_refuses_an_invalid_number_without_losing_what_was_typed(asgi_server, page):
    agent(username="alex")
    sign_in(page, asgi_server, "alex")
    page.goto(asgi_server + "/contacts/new/")
    page.get_by_label("First name").fill("Dana")
    page.get_by_placeholder("Phone number").fill("555 0100")
    page.get_by_role("button", name="Create contact").click()
    expect(page.get_by_role("alert")).to_contain_text("'555 0100' is missing its area code")
    expect(page.get_by_label("First name")).to_have_value("Dana")
    expect(page.get_by_placeholder("Phone number")).to_have_value("555 0100")
    assert Contact.objects.count() == 0


def test_an_empty_note_is_refused_with_a_message_in_place(asgi_server, page):
    # given an agent on a contact's page
    agent(username="alex")
    casey = contact(first_name="Casey", last_name="Caller")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, asgi_server, "alex")
    page.goto(f"{asgi_server}/contacts/{casey.pk}/")

    # when they save the note box empty
    page.get_by_role("button", name="Add note").click()

    # then the form says why, in place, and nothing was written
    expect(page.get_by_role("alert")).to_have_text("Write something first.")
    note = page.get_by_placeholder(re.compile("Add a note"))
    expect(note).to_have_attribute("aria-invalid", "true")
    assert casey.notes.count() == 0

    # and when they write something, it is saved and the message goes
    note.fill("Called back, no answer.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#timeline .tl-item[data-kind=note]")).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert errors == []


def test_a_note_on_a_contact_deleted_meanwhile_says_it_was_not_saved(asgi_server, page):
    # given an agent on a contact's page, and the contact deleted by a supervisor meanwhile
    agent(username="alex")
    casey = contact(first_name="Casey", last_name="Caller")
    sign_in(page, asgi_server, "alex")
    page.goto(f"{asgi_server}/contacts/{casey.pk}/")
    casey.delete()

    # when they add a note
    note = page.get_by_placeholder(re.compile("Add a note"))
    note.fill("Called back.")
    page.get_by_role("button", name="Add note").click()

    # then the page says so, and keeps what they typed
    expect(page.get_by_role("alert")).to_have_text(
        "Not found: it may have been deleted. Reload the page."
    )
    expect(note).to_have_value("Called back.")


def test_signed_out_meanwhile_the_search_goes_to_the_sign_in_page_and_back(asgi_server, page):
    # given an agent on the contact list whose session ended meanwhile
    agent(username="alex")
    contact(first_name="Casey", last_name="Caller")
    sign_in(page, asgi_server, "alex")
    page.goto(f"{asgi_server}/contacts/")
    page.context.clear_cookies()

    # when they search, then they land on the sign-in page, not a page inside the list
    page.get_by_role("searchbox", name="Search contacts").press_sequentially("Casey", delay=20)
    expect(page.get_by_role("heading", name="Sign in to Callboard")).to_be_visible()
    expect(page.locator("#results")).to_have_count(0)

    # and signing in brings them back to the list they were on
    page.get_by_label("Username").fill("alex")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/contacts/"))
    expect(page.get_by_role("heading", name="Contacts")).to_be_visible()
