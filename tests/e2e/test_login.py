import pytest
from playwright.sync_api import expect

from tests.factories import agent

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def test_agent_logs_in_and_sees_the_app_with_live_updates(asgi_server, page):
    # given an agent account
    agent(username="alex", first_name="Alex")
    # when they open the app and sign in
    page.goto(asgi_server + "/")
    expect(page).to_have_url(asgi_server + "/login/?next=/")
    page.get_by_label("Username").fill("alex")
    page.get_by_label("Password").fill("pw-for-tests")
    page.get_by_role("button", name="Sign in", exact=True).click()
    # then they land on the home page, signed in, with the live socket connected
    expect(page.get_by_role("heading", name="Welcome, Alex")).to_be_visible()
    expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")
    # and logging out ends the session
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(asgi_server + "/login/")


def test_wrong_password_shows_a_clear_error(asgi_server, page):
    agent(username="alex")
    page.goto(asgi_server + "/login/")
    page.get_by_label("Username").fill("alex")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct username")
