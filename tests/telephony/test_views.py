"""Pages that call RingCentral: a failure is a clear message, quickly, never a 500."""

import time

import pytest
from django.test import Client

from telephony.models import RingCentralConnection
from tests.factories import agent
from tests.support.ringcentral import sign_in

pytestmark = pytest.mark.django_db

ME = "/restapi/v1.0/account/~/extension/~"


@pytest.fixture
def browser(ringcentral) -> Client:
    client = Client()
    sign_in(client, ringcentral, ringcentral.user("101"))
    return client


def test_connection_page_shows_status_and_the_check_names_the_extension(browser):
    page = browser.get("/ringcentral/")
    assert page.status_code == 200
    assert "Active" in page.content.decode()
    check = browser.post("/ringcentral/check/", HTTP_HX_REQUEST="true")
    assert check.status_code == 200
    assert "Connected as Alice Walker (ext. 101)." in check.content.decode()


def test_rate_limited_page_answers_at_once_with_a_clear_message(ringcentral, browser):
    # given RingCentral asks for a 40-second pause
    ringcentral.add_fault("rate_limit", path=ME, retry_after=40, count=1)
    # when the person asks for something that calls RingCentral
    started = time.monotonic()
    response = browser.post("/ringcentral/check/")
    # then the page says so at once (no sleeping in a web request)
    assert time.monotonic() - started < 1
    assert response.status_code == 429
    assert response["Retry-After"] == "40"
    assert "Too many requests reached RingCentral. Try again in 40 seconds." in (
        response.content.decode()
    )


def test_htmx_request_gets_the_message_as_a_fragment(ringcentral, browser):
    ringcentral.add_fault("rate_limit", path=ME, retry_after=40, count=1)
    response = browser.post("/ringcentral/check/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<div class="msg msg-error" role="alert"')
    assert "Try again in 40 seconds." in html


def test_provider_failure_is_a_502_page_not_a_500(ringcentral, browser):
    ringcentral.add_fault("http_error", path=ME, status=503, count=2)
    response = browser.post("/ringcentral/check/")
    assert response.status_code == 502
    assert "RingCentral failed or did not answer in time." in response.content.decode()


def test_a_person_without_a_connection_is_asked_to_sign_in(ringcentral):
    client = Client()
    client.force_login(agent())
    response = client.post("/ringcentral/check/")
    assert response.status_code == 401
    assert "Sign in with RingCentral" in response.content.decode()
    assert ringcentral.requests() == []


def test_signed_out_connection_shows_the_banner_elsewhere(ringcentral, browser):
    # given Alice is signed in in two browsers and logs out in one
    other = Client()
    other.force_login(RingCentralConnection.objects.get().user)
    browser.post("/logout/")
    # then the other browser shows the banner
    assert "Your RingCentral connection has stopped working." in other.get("/").content.decode()
