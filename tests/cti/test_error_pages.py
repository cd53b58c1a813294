"""Error pages keep the app's shell and say what happened in plain words, without debug detail."""

import pytest
from django.test import Client

from crm.models import Contact
from tests.factories import agent, contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def alex_client() -> Client:
    client = Client()
    client.force_login(agent(username="alex", first_name="Alex"))
    return client


def test_unknown_address_is_a_404_page_with_the_navigation(alex_client):
    response = alex_client.get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    assert "<h1>Page not found</h1>" in page
    assert 'aria-label="Main"' in page
    assert 'href="/contacts/">Contacts</a>' in page


def test_refused_action_is_a_403_page_that_says_why(alex_client):
    casey = contact()
    response = alex_client.post(f"/contacts/{casey.pk}/delete/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Not allowed</h1>" in page
    assert "Only supervisors can delete contacts." in page
    assert Contact.objects.filter(pk=casey.pk).exists()


def test_expired_form_is_a_403_page_that_says_to_reload():
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent(username="alex"))
    response = client.post("/contacts/new/", {"first_name": "Dana"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>This form has expired</h1>" in page
    assert "reload the page and try again" in page
    assert Contact.objects.count() == 0


def test_server_error_page_renders_without_a_request():
    from django.template import loader

    page = loader.get_template("500.html").render()
    assert "<h1>Something went wrong</h1>" in page
    assert 'href="/static/css/app.css"' in page
