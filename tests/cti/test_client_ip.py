"""The address log-in throttling counts behind a proxy (BEHIND_TLS_PROXY)."""

from django.test import RequestFactory

from cti.client_ip import forwarded_client_ip


def test_the_last_forwarded_address_is_the_one_counted():
    request = RequestFactory().post("/login/", HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.4")
    assert forwarded_client_ip(request) == "198.51.100.4"


def test_without_any_address_it_is_unknown_not_a_server_error():
    # given a request with no peer address (daphne on a unix socket) and nothing forwarded
    request = RequestFactory().post("/login/")
    del request.META["REMOTE_ADDR"]
    # then it counts as "unknown" instead of raising
    assert forwarded_client_ip(request) == "unknown"
