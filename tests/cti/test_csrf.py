"""Every state-changing URL refuses a POST without a CSRF token: 403, nothing written, the
person still signed in. Each route that takes a POST has a case (tests/support/routes.py), and a
route that takes one without a case fails here."""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client

from crm.roles import SUPERVISORS, assign_role
from tests.support.routes import POST_DATA, ROUTES, Records, path_for, records_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def sofia():
    """A supervisor who is also an admin: every form is hers to send."""
    user = get_user_model().objects.create_superuser(
        "sofia", "sofia@example.com", "pw-for-tests", first_name="Sofia"
    )
    assign_role(user, SUPERVISORS)
    return user


@pytest.fixture
def records(sofia, settings) -> Records:
    settings.RINGCENTRAL_CLIENT_ID = "csrf-test-app"  # the sign-in starts without RingCentral
    return records_for(sofia)


def database() -> dict[str, list[dict]]:
    """Every row of every table."""
    return {
        model._meta.label: list(model.objects.order_by("pk").values())
        for model in apps.get_models()
    }


# Django admin's forms, which tests/support/routes.py leaves to the admin's own pages.
ADMIN_POSTS = {
    "admin log-in": (lambda r: "/admin/login/", lambda r: {"username": "sofia", "password": "x"}),
    "admin log-out": (lambda r: "/admin/logout/", lambda r: {}),
    "admin change form": (
        lambda r: f"/admin/crm/contact/{r.contact.pk}/change/",
        lambda r: {"first_name": "Changed", "last_name": "Caller", "status": "lead"},
    ),
    "admin action": (
        lambda r: "/admin/crm/company/",
        lambda r: {"action": "delete_selected", "_selected_action": [r.company.pk], "post": "yes"},
    ),
}
CASES = {
    **{route: (lambda r, route=route: path_for(route, r), POST_DATA[route]) for route in POST_DATA},
    **ADMIN_POSTS,
}


@pytest.mark.parametrize("case", CASES)
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(sofia, records, case):
    # given Sofia signed in, in a browser that enforces CSRF as a real one does
    client = Client(enforce_csrf_checks=True)
    client.force_login(sofia)
    path, data = CASES[case]
    before = database()
    # when a form is posted to the URL without the token (as another site could)
    response = client.post(path(records), data(records))
    # then it is refused, nothing was written, and she is still signed in
    assert response.status_code == 403
    assert "<h1>This form has expired</h1>" in response.content.decode()
    assert database() == before
    assert client.session["_auth_user_id"] == str(sofia.pk)
    assert client.get("/").status_code == 200
    # and the same post with the token is not refused: the 403 was the missing token
    token = client.cookies["csrftoken"].value
    accepted = client.post(path(records), {**data(records), "csrfmiddlewaretoken": token})
    assert accepted.status_code != 403


@pytest.mark.parametrize("route", sorted(set(ROUTES) - set(POST_DATA)))
def test_every_route_that_takes_a_post_has_a_case(sofia, records, route):
    # a route left out of POST_DATA must not take a POST at all
    client = Client()
    client.force_login(sofia)
    assert client.post(path_for(route, records)).status_code == 405
