import pytest


@pytest.mark.django_db
def test_favicon_is_served_for_pages_that_do_not_name_one(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon.svg"
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.django_db
def test_every_page_names_the_icon(client):
    assert b'<link rel="icon" href="/static/favicon.svg"' in client.get("/login/").content
