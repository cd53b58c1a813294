"""Ids from URLs and query strings that no row can have are a 404 or an ignored filter, never
a database error: they are turned away before any query (SQLite cannot even bind them)."""

import pytest
from django.urls import Resolver404, resolve

from crm.ids import MAX_ID, parse_id
from crm.services import call_log_upsert
from tests.factories import call_record, contact

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999999"
JUST_OVER = str(MAX_ID + 1)


@pytest.mark.parametrize("number", [HUGE, JUST_OVER, "0"])
@pytest.mark.parametrize(
    "path",
    [
        "/contacts/{}/",
        "/contacts/{}/edit/",
        "/contacts/{}/timeline/",
        "/contacts/import/{}/",
        "/companies/{}/",
        "/companies/{}/edit/",
        "/calls/{}/",
        "/calls/{}/recording/",
        "/messages/{}/",
    ],
)
def test_id_no_row_can_have_does_not_match_the_url(client, path, number):
    url = path.format(number)
    with pytest.raises(Resolver404):
        resolve(url)
    assert client.get(url).status_code == 404


def test_largest_id_still_matches_the_url():
    assert resolve(f"/contacts/{MAX_ID}/").kwargs == {"pk": MAX_ID}


@pytest.mark.parametrize("path", ["/calls/", "/messages/"])
@pytest.mark.parametrize("number", [HUGE, JUST_OVER])
def test_contact_filter_with_an_impossible_id_is_ignored_with_a_message(client, path, number):
    response = client.get(path, {"contact": number})
    assert response.status_code == 200
    assert response.context["filters"].contact_id is None
    assert list(response.context["form"].errors) == ["contact"]
    assert "Those filters were ignored." in response.content.decode()


@pytest.mark.parametrize("number", [HUGE, JUST_OVER])
def test_company_filter_with_an_impossible_id_is_ignored(client, number):
    casey = contact(phones=["+16505550100"])
    response = client.get("/contacts/", {"company": number})
    assert response.status_code == 200
    assert response.context["filters"].company_id is None
    assert list(response.context["page"].object_list) == [casey]


def test_agent_and_owner_filters_with_an_impossible_id_are_ignored(client):
    assert client.get("/calls/", {"agent": HUGE}).status_code == 200
    response = client.get("/contacts/", {"owner": HUGE})
    assert response.status_code == 200
    assert response.context["filters"].owner_id is None


@pytest.mark.parametrize("pk", [HUGE, JUST_OVER, "0", "-1"])
def test_timeline_cursor_with_an_impossible_id_is_refused(client, alex, pk):
    casey = contact(phones=["+16505550100"])
    call_log_upsert(record=call_record(rc_id="A1", agent=alex))
    response = client.get(
        f"/contacts/{casey.pk}/timeline/", {"cursor": f"2026-03-02T15:00:00+00:00~3~{pk}"}
    )
    assert response.status_code == 400
    assert "not a timeline position" in response.content.decode()


def test_timeline_cursor_beyond_the_calendar_is_refused(client):
    casey = contact(phones=["+16505550100"])
    response = client.get(
        f"/contacts/{casey.pk}/timeline/", {"cursor": "0001-01-01T00:00:00+05:00~3~1"}
    )
    assert response.status_code == 400


@pytest.mark.parametrize("number", [HUGE, JUST_OVER, "²", "abc"])
def test_email_check_ignores_a_contact_param_that_is_not_an_id(client, number):
    casey = contact(email="casey@initech.example")
    response = client.get(
        "/contacts/check-email/", {"email": "casey@initech.example", "contact": number}
    )
    assert response.status_code == 200
    assert response.context["other"] == casey


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", 1),
        (" 42 ", 42),
        (str(MAX_ID), MAX_ID),
        (JUST_OVER, None),
        (HUGE, None),
        ("0", None),
        ("-1", None),
        ("", None),
        (None, None),
        ("²", None),
        ("1e3", None),
    ],
)
def test_parse_id(text, expected):
    assert parse_id(text) == expected
