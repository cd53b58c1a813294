"""Sign in with RingCentral in chromium, through the sandbox's login page."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from telephony.models import RingCentralConnection
from telephony.tokens import ConnectionNeedsSignIn, access_token_get
from tests.support.ringcentral import in_a_worker_thread

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.browser]


def sign_in_as(page, site, user: dict) -> None:
    page.goto(site.url + "/")
    expect(page).to_have_url(site.url + "/login/?next=/")
    page.get_by_role("button", name="Sign in with RingCentral").click()
    # the sandbox's login page (RingCentral's, in production)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Email or extension number").fill(user["email"])
    page.get_by_label("Password").fill(user["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()


def test_sign_in_with_ringcentral_lands_as_the_right_user_and_logout_revokes(
    ringcentral_site, page
):
    sandbox = ringcentral_site.sandbox
    alice = sandbox.user("101")
    # when Alice signs in with RingCentral
    sign_in_as(page, ringcentral_site, alice)
    # then she is in the app, as herself, with live updates connected
    expect(page).to_have_url(ringcentral_site.url + "/")
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    expect(page.locator(".who")).to_have_text("Alice Walker")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")
    connection = RingCentralConnection.objects.get()
    assert (connection.user.email, connection.status) == (alice["email"], "active")
    [session] = sandbox.sessions(extension_id=alice["extension_id"])
    assert session["active"] is True
    # when she logs out
    page.get_by_role("button", name="Log out").click()
    # then she is signed out and RingCentral shows the session gone
    expect(page).to_have_url(ringcentral_site.url + "/login/")
    [session] = sandbox.sessions(extension_id=alice["extension_id"])
    assert session["active"] is False
    assert RingCentralConnection.objects.get().status == "signed_out"


def test_a_refused_refresh_shows_the_banner_live_and_signing_in_again_clears_it(
    ringcentral_site, page
):
    sandbox = ringcentral_site.sandbox
    alice = sandbox.user("101")
    sign_in_as(page, ringcentral_site, alice)
    expect(page.locator("#live-status")).to_have_attribute("data-state", "connected")
    banner = page.locator("#ringcentral-banner")
    expect(banner).to_have_count(0)
    # when her session is revoked at RingCentral and a refresh is refused
    sandbox.add_fault("revoke_session", extension_id=alice["extension_id"])
    RingCentralConnection.objects.update(access_token_expires_at=timezone.now() - timedelta(1))
    connection_id = RingCentralConnection.objects.get().pk
    refused = in_a_worker_thread(lambda: access_token_get(connection_id=connection_id))
    assert isinstance(refused, ConnectionNeedsSignIn)
    # then the open page shows the banner without a reload
    expect(banner).to_contain_text("Your RingCentral connection has stopped working.")
    # and signing in again from it restores the connection
    banner.get_by_role("link", name="Sign in with RingCentral").click()
    page.get_by_role("button", name="Continue to RingCentral").click()
    page.get_by_label("Email or extension number").fill(alice["email"])
    page.get_by_label("Password").fill(alice["password"])
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Welcome, Alice")).to_be_visible()
    expect(page.locator("#ringcentral-banner")).to_have_count(0)
    assert RingCentralConnection.objects.get().status == "active"
