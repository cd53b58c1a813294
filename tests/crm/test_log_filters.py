"""The date filters of the call and message lists refuse dates they cannot use, with a message,
and keep the filters that are valid."""

from datetime import UTC, date, datetime, timedelta

import pytest

from crm.services import call_log_upsert, message_log_upsert
from tests.factories import call_record, message_record

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def logs(alex):
    """A call and a message of Alex's on 2 March 2026, and an older call on 1 January."""
    return {
        "call": call_log_upsert(record=call_record(rc_id="A1", agent=alex)),
        "old_call": call_log_upsert(
            record=call_record(rc_id="A0", agent=alex, start_time=T0 - timedelta(days=60))
        ),
        "message": message_log_upsert(record=message_record(rc_id="M1", agent=alex)),
    }


@pytest.mark.parametrize("path", ["/calls/", "/messages/"])
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("date_to", "9999-12-31"),
        ("date_from", "9999-12-31"),
        ("date_from", "0001-01-01"),
        ("date_to", "0001-01-01"),
        ("date_to", "1899-12-31"),
        ("date_from", "3000-01-01"),
    ],
)
def test_out_of_range_date_is_refused_with_a_message(client, logs, path, field, value):
    response = client.get(path, {field: value})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        field: [f"{value} is out of range: pick a date between 1900-01-01 and 2999-12-31."]
    }
    assert (response.context["filters"].date_from, response.context["filters"].date_to) == (
        None,
        None,
    )
    page = response.content.decode()
    assert f"{value} is out of range" in page
    assert "Those filters were ignored." in page


def test_out_of_range_date_leaves_the_valid_filters_in_force(client, logs):
    response = client.get("/calls/", {"date_from": "2026-03-01", "date_to": "9999-12-31"})
    assert response.status_code == 200
    assert response.context["filters"].date_from == date(2026, 3, 1)
    assert response.context["filters"].date_to is None
    assert list(response.context["page"].object_list) == [logs["call"]]


def test_dates_at_the_ends_of_the_range_are_accepted(client, logs):
    response = client.get("/calls/", {"date_from": "1900-01-01", "date_to": "2999-12-31"})
    assert response.status_code == 200
    assert response.context["form"].errors == {}
    assert list(response.context["page"].object_list) == [logs["call"], logs["old_call"]]


@pytest.mark.parametrize("path", ["/calls/", "/messages/"])
def test_end_date_before_start_date_is_refused_with_a_message(client, logs, path):
    response = client.get(path, {"date_from": "2026-03-02", "date_to": "2026-03-01"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "date_to": ["The end date (2026-03-01) is before the start date (2026-03-02)."]
    }
    assert response.context["filters"].date_from == date(2026, 3, 2)
    assert response.context["filters"].date_to is None
    assert "is before the start date" in response.content.decode()


def test_date_range_keeps_the_logs_of_its_days(client, logs):
    response = client.get("/calls/", {"date_from": "2026-03-02", "date_to": "2026-03-02"})
    assert list(response.context["page"].object_list) == [logs["call"]]


@pytest.mark.parametrize("path", ["/calls/", "/messages/"])
def test_refused_filter_message_comes_with_the_results_htmx_swaps_in(client, logs, path):
    # given the list page, when a person changes a filter htmx asks for the results only
    response = client.get(
        path, {"date_from": "2026-03-02", "date_to": "2026-03-01"}, HTTP_HX_REQUEST="true"
    )

    # then that fragment says which filter was ignored, and has no filter form of its own
    page = response.content.decode()
    assert response.status_code == 200
    assert response.templates[0].name == f"crm/{path.strip('/')}/_results.html"
    assert (
        "The end date (2026-03-01) is before the start date (2026-03-02). "
        "Those filters were ignored." in page
    )
    assert 'role="search"' not in page
