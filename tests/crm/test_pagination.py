"""Long lists count up to a limit and say "more than" past it, and still page on."""

from datetime import UTC, datetime, timedelta

import pytest

from crm import pagination
from crm.models import Contact

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def sixty_contacts():
    Contact.objects.bulk_create(
        Contact(first_name="Person", last_name=f"{n:02d}", last_activity_at=T0 - timedelta(hours=n))
        for n in range(1, 61)
    )


@pytest.fixture
def limit_30(monkeypatch):
    monkeypatch.setattr(pagination, "COUNT_LIMIT", 30)


def text(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_past_the_limit_the_count_says_more_than(client, sixty_contacts, limit_30):
    body = text(client.get("/contacts/"))
    assert "1\u201325 of more than 30" in body
    assert "Page 1<" in body and "Page 1 of" not in body
    assert 'rel="next"' in body
    assert "Person 01" in body and "Person 26" not in body


def test_pages_past_the_counted_ones_open(client, sixty_contacts, limit_30):
    body = text(client.get("/contacts/?page=3"))
    assert "51\u201360 of more than 30" in body
    assert "Person 51" in body and "Person 60" in body and "Person 50" not in body
    assert 'rel="prev"' in body and 'rel="next"' not in body


def test_a_page_past_the_end_shows_the_real_last_page(client, sixty_contacts, limit_30):
    response = client.get("/contacts/?page=9")
    body = text(response)
    assert "51\u201360 of 60" in body and "Page 3 of 3" in body
    assert response.context["page"].paginator.count == 60


def test_below_the_limit_the_count_is_exact(client, sixty_contacts):
    body = text(client.get("/contacts/?page=2"))
    assert "26\u201350 of 60" in body and "Page 2 of 3" in body


def test_a_page_that_is_not_a_number_is_the_first(client, sixty_contacts, limit_30):
    assert "1\u201325 of more than 30" in text(client.get("/contacts/?page=abc"))


def test_deep_pages_show_the_same_rows_when_ids_are_found_first(
    client, sixty_contacts, limit_30, monkeypatch
):
    monkeypatch.setattr(pagination, "DEFERRED_JOIN_OFFSET", 10)
    body = text(client.get("/contacts/?page=2"))
    assert "26\u201350 of more than 30" in body
    names = [f"Person {n:02d}" for n in range(26, 51)]
    assert all(name in body for name in names) and "Person 51" not in body
    assert [body.index(name) for name in names] == sorted(body.index(name) for name in names)
