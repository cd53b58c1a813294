"""What a person sees of a contact's owner and of its change history."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from crm.models import ContactChange
from crm.services import ContactData, contact_update
from tests.e2e.test_contacts import sign_in
from tests.factories import agent, contact, supervisor

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_an_agent_cannot_change_the_owner_and_sees_their_edit_on_the_timeline(
    asgi_server, page, browser
):
    # given Sam's contact, with a long history of edits
    alex = agent(username="alex", first_name="Alex", last_name="Agent")
    sam = supervisor(username="sam", first_name="Sam", last_name="Super")
    agent(username="blake", first_name="Blake", last_name="Booker")
    casey = contact(owner=sam, phones=["+1 650 555 0100"], by=sam)
    for i in range(30):
        data = ContactData(first_name="Casey", last_name="Caller", title=f"Title {i}", owner=sam)
        contact_update(contact=casey, data=data, by=sam)
    long_ago = timezone.now() - timedelta(days=60)
    for i, change in enumerate(casey.change_log.order_by("id")):
        ContactChange.objects.filter(pk=change.pk).update(at=long_ago + timedelta(hours=i))

    # when an agent opens its edit form
    sign_in(page, asgi_server, "alex")
    page.goto(f"{asgi_server}/contacts/{casey.pk}/")
    page.get_by_role("link", name="Edit").click()
    page.wait_for_url(f"{asgi_server}/contacts/{casey.pk}/edit/")

    # then the owner is shown, read-only, and says who may change it
    owner = page.get_by_label("Owner")
    expect(owner).to_be_disabled()
    expect(owner.locator("option:checked")).to_have_text("Sam Super")
    expect(page.get_by_text("Only a supervisor can change the owner.")).to_be_visible()

    # when they change the title (with markup in it) and the number, and save
    page.get_by_label("Title").fill("<b>Head</b> of sales")
    page.get_by_placeholder("Phone number").fill("+1 650 555 0199")
    page.get_by_role("button", name="Save changes").click()

    # then the contact keeps its owner, and the timeline shows the change first, as written
    expect(page.get_by_role("heading", name="Casey Caller")).to_be_visible()
    expect(page.get_by_label("Contact details")).to_contain_text("Sam Super")
    first = page.locator("#timeline .tl-item").first
    expect(first).to_have_attribute("data-kind", "change")
    expect(first.locator(".tl-title")).to_have_text("Contact changed")
    expect(first.locator(".tl-meta")).to_have_text("Alex Agent")
    expect(first.locator(".tl-changes li")).to_have_text(
        [
            "Title: Title 29 → <b>Head</b> of sales",
            "Phone: +1 650-555-0100 (Mobile) → —",
            "Phone: — → +1 650-555-0199 (Mobile)",
        ]
    )
    expect(page.locator("#timeline b")).to_have_count(0)

    # and older changes page in, down to the contact's creation, each once, newest first
    expect(page.locator("#timeline .tl-item")).to_have_count(25)
    page.get_by_role("link", name="Show older activity").click()
    items = page.locator("#timeline .tl-item")
    expect(items).to_have_count(32)
    expect(page.get_by_role("link", name="Show older activity")).to_have_count(0)
    expect(items.last.locator(".tl-title")).to_have_text("Contact created")
    titles = items.locator(".tl-changes li", has_text=re.compile(r"^Title: ")).all_inner_texts()
    assert titles == [
        "Title: Title 29 → <b>Head</b> of sales",
        *(f"Title: Title {i - 1} → Title {i}" for i in range(29, 0, -1)),
        "Title: — → Title 0",
    ]
    assert casey.change_log.filter(by=alex).count() == 1

    # when the supervisor opens the same form
    sam_page = browser.new_context().new_page()
    sign_in(sam_page, asgi_server, "sam")
    sam_page.goto(f"{asgi_server}/contacts/{casey.pk}/edit/")

    # then they can give the contact to someone else, and the timeline says so
    owner = sam_page.get_by_label("Owner")
    expect(owner).to_be_enabled()
    owner.select_option(label="Blake Booker")
    sam_page.get_by_role("button", name="Save changes").click()
    expect(sam_page.get_by_label("Contact details")).to_contain_text("Blake Booker")
    first = sam_page.locator("#timeline .tl-item").first
    expect(first.locator(".tl-meta")).to_have_text("Sam Super")
    expect(first.locator(".tl-changes li")).to_have_text(["Owner: Sam Super → Blake Booker"])
    sam_page.context.close()
