"""The RingCentral client against sandbox faults: 429s, 5xx bursts, non-JSON bodies, timeouts,
paging, client-side rate-limit groups, logging."""

import email.utils
import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from telephony.models import RingCentralConnection
from telephony.ringcentral.client import TASK, WEB, GrantedToken, RetryPolicy, RingCentralClient
from telephony.ringcentral.errors import (
    InvalidRequest,
    NotFound,
    ProviderError,
    RateLimited,
)
from telephony.tokens import ConnectionTokens, client_for_user
from tests.support.ringcentral import sign_in
from tests.support.sandbox import SandboxClient

pytestmark = pytest.mark.django_db

ME = "/restapi/v1.0/account/~/extension/~"


@pytest.fixture
def alice(ringcentral: SandboxClient) -> RingCentralConnection:
    sign_in(Client(), ringcentral, ringcentral.user("101"))
    return RingCentralConnection.objects.get()


def statuses(sandbox: SandboxClient, mark: int, path: str = ME) -> list[int]:
    return [r["status"] for r in sandbox.requests(since=mark, path_prefix=path)]


def test_429_with_retry_after_raises_with_that_wait_and_holds_back_after(ringcentral, alice):
    # given RingCentral answers one call with 429 and Retry-After: 42
    ringcentral.add_fault("rate_limit", path=ME, retry_after=42, count=1)
    mark = ringcentral.mark()
    with client_for_user(alice.user) as rc:
        # when a call is made, then it raises RateLimited with that wait
        with pytest.raises(RateLimited) as limited:
            rc.extension_me()
        # and the next call in that group is held back on our side: RingCentral never sees it
        with pytest.raises(RateLimited) as held:
            rc.get(ME)
    assert (limited.value.retry_after, limited.value.held_back) == (42, False)
    assert limited.value.group == "light"
    assert held.value.held_back is True
    assert 40 < held.value.retry_after <= 42
    assert statuses(ringcentral, mark) == [429]


def test_penalty_is_shared_by_every_client_of_that_user(ringcentral, alice):
    ringcentral.add_fault("rate_limit", path=ME, retry_after=30, count=1)
    with client_for_user(alice.user) as first, pytest.raises(RateLimited):
        first.extension_me()
    mark = ringcentral.mark()
    # a separate client (as in another process: the budget lives in Redis) holds back too
    with client_for_user(alice.user) as second, pytest.raises(RateLimited) as held:
        second.extension_me()
    assert held.value.held_back is True
    assert statuses(ringcentral, mark) == []


def test_429_without_retry_after_waits_the_rate_limit_window(ringcentral, alice):
    ringcentral.add_fault("rate_limit", path=ME, retry_after=None, count=1)
    with client_for_user(alice.user) as rc, pytest.raises(RateLimited) as limited:
        rc.extension_me()
    assert limited.value.retry_after == 60  # X-Rate-Limit-Window


def test_429_with_no_headers_at_all_waits_30_seconds(ringcentral, alice):
    ringcentral.add_fault(
        "rate_limit",
        path=ME,
        retry_after=None,
        rate_headers=False,
        body="Too Many Requests",
        content_type="text/plain",
        count=1,
    )
    with client_for_user(alice.user) as rc, pytest.raises(RateLimited) as limited:
        rc.extension_me()
    assert (limited.value.retry_after, limited.value.message) == (30, "Too Many Requests")


def test_retry_after_as_an_http_date_waits_until_that_date(ringcentral, alice):
    # given a 429 whose Retry-After is a date 45 s ahead (RFC 9110 allows either form)
    when = datetime.now(UTC) + timedelta(seconds=45)
    retry_after = email.utils.format_datetime(when, usegmt=True)
    ringcentral.add_fault(
        "http_error", path=ME, status=429, headers={"Retry-After": retry_after}, count=1
    )
    with client_for_user(alice.user) as rc, pytest.raises(RateLimited) as limited:
        rc.extension_me()
    # then the wait is the time left until then, not the 60 s window or the 30 s default
    assert 42 < limited.value.retry_after <= 45


@pytest.mark.parametrize("value", ["inf", "1e400", "1e30", "nan", "-5", "soon"])
def test_a_nonsense_retry_after_is_a_bounded_wait_not_a_crash(ringcentral, alice, value):
    # given a 429 whose rate-limit headers are not usable numbers
    headers = {"Retry-After": value, "X-Rate-Limit-Remaining": value, "X-Rate-Limit-Window": "60"}
    ringcentral.add_fault("http_error", path=ME, status=429, headers=headers, count=1)
    with client_for_user(alice.user) as rc, pytest.raises(RateLimited) as limited:
        rc.extension_me()
    # then the wait is the window (the next fallback), or at most a day for a huge number
    assert limited.value.retry_after == (RateLimited.MAX_WAIT if value == "1e30" else 60)


def test_a_short_retry_after_is_waited_out_once_in_a_web_request(ringcentral, alice):
    ringcentral.add_fault("rate_limit", path=ME, retry_after=1, count=1)
    mark = ringcentral.mark()
    started = time.monotonic()
    with client_for_user(alice.user, policy=WEB) as rc:
        assert rc.extension_me().extension_number == "101"
    assert 1.0 <= time.monotonic() - started < 3
    assert statuses(ringcentral, mark) == [429, 200]


def test_client_holds_back_before_the_group_limit_instead_of_walking_into_429(ringcentral, alice):
    # given the Light group allows 4 requests a minute, and signing in spent one
    ringcentral.config(rate_limits={"Light": 4})
    mark = ringcentral.mark()
    with client_for_user(alice.user) as rc:
        # when four Light calls are made
        for _ in range(3):
            rc.extension_me()
        started = time.monotonic()
        with pytest.raises(RateLimited) as held:
            rc.extension_me()
    # then the fourth is refused on our side at once; RingCentral saw three and never a 429
    assert held.value.held_back is True
    assert held.value.group == "light"
    assert 55 < held.value.retry_after <= 60
    assert time.monotonic() - started < 0.5
    assert statuses(ringcentral, mark) == [200, 200, 200]
    # and another group is not affected
    with client_for_user(alice.user) as rc:
        assert sorted(e.id for e in rc.account_extensions()) == enabled_users(ringcentral)


def test_a_5xx_burst_is_retried_with_backoff_until_it_passes(ringcentral, alice):
    ringcentral.add_fault("http_error", path=ME, status=503, count=3)
    mark = ringcentral.mark()
    with client_for_user(alice.user, policy=TASK) as rc:
        assert rc.extension_me().extension_number == "101"
    assert statuses(ringcentral, mark) == [503, 503, 503, 200]


def test_a_5xx_burst_longer_than_the_retries_raises_provider_error(ringcentral, alice):
    ringcentral.add_fault("http_error", path=ME, status=500, count=5)
    mark = ringcentral.mark()
    with client_for_user(alice.user, policy=WEB) as rc, pytest.raises(ProviderError) as failed:
        rc.extension_me()
    assert failed.value.status == 500
    assert statuses(ringcentral, mark) == [500, 500]  # WEB: two attempts


def test_4xx_is_never_retried_and_carries_ringcentrals_code(ringcentral, alice):
    mark = ringcentral.mark()
    with client_for_user(alice.user) as rc:
        with pytest.raises(NotFound) as missing:
            rc.get("/restapi/v1.0/account/~/extension/1")
        with pytest.raises(InvalidRequest) as invalid:
            rc.get("/restapi/v1.0/account/~/extension", {"perPage": 0})
    assert missing.value.status == 404
    assert missing.value.error_code == "CMN-102"
    assert invalid.value.error_code == "CMN-101"
    assert invalid.value.message == "Parameter [perPage] value is invalid."
    assert statuses(ringcentral, mark, "/restapi/v1.0/account/~/extension") == [404, 400]


@pytest.mark.parametrize(
    ("status", "body", "content_type", "error", "message"),
    [
        (502, "<html><h1>Bad Gateway</h1></html>", "text/html", ProviderError, "Bad Gateway"),
        (400, "oops, not json", "text/plain", InvalidRequest, "oops, not json"),
        (404, "", "text/plain", NotFound, "Not Found"),
    ],
    ids=["html-502", "text-400", "empty-404"],
)
def test_non_json_error_bodies_become_typed_errors(
    ringcentral, alice, status, body, content_type, error, message
):
    ringcentral.add_fault(
        "http_error", path=ME, status=status, body=body, content_type=content_type, count=2
    )
    with client_for_user(alice.user) as rc, pytest.raises(error) as raised:
        rc.extension_me()
    assert raised.value.status == status
    assert message in raised.value.message


def test_a_timeout_is_retried(ringcentral, alice, settings):
    settings.RINGCENTRAL_HTTP_TIMEOUT = 1
    ringcentral.add_fault("latency", path=ME, seconds=2.5, count=1)
    with client_for_user(alice.user, policy=WEB) as rc:
        assert rc.extension_me().extension_number == "101"


def test_timeouts_beyond_the_retries_raise_provider_error_in_bounded_time(
    ringcentral, alice, settings
):
    settings.RINGCENTRAL_HTTP_TIMEOUT = 1
    ringcentral.add_fault("latency", path=ME, seconds=2.5, count=2)
    started = time.monotonic()
    with client_for_user(alice.user, policy=WEB) as rc, pytest.raises(ProviderError) as failed:
        rc.extension_me()
    assert failed.value.message == "RingCentral did not answer (ReadTimeout)"
    assert failed.value.status is None
    assert time.monotonic() - started < 3.5


SMS = "/restapi/v1.0/account/~/extension/~/sms"


def an_sms(sandbox: SandboxClient) -> dict:
    sender = sandbox.user("101")["phone_numbers"][0]["phone_number"]
    return {"from": {"phoneNumber": sender}, "to": [{"phoneNumber": "+14155550123"}], "text": "Hi"}


def test_a_post_answered_with_5xx_is_not_repeated(ringcentral, alice):
    # given RingCentral answers the SMS send with 503 (it may or may not have sent it)
    ringcentral.add_fault("http_error", path=SMS, method="POST", status=503, count=1)
    mark = ringcentral.mark()
    # when we send through a client that retries 5xx for reads
    with client_for_user(alice.user, policy=TASK) as rc, pytest.raises(ProviderError) as failed:
        rc.post(SMS, an_sms(ringcentral))
    # then it was asked exactly once: a retry could send the SMS twice
    assert failed.value.status == 503
    assert statuses(ringcentral, mark, SMS) == [503]


def test_a_post_that_timed_out_is_not_repeated(ringcentral, alice, settings):
    # given RingCentral takes longer than our timeout to answer the SMS send
    settings.RINGCENTRAL_HTTP_TIMEOUT = 1
    ringcentral.add_fault("latency", path=SMS, method="POST", seconds=1.5, count=1)
    mark = ringcentral.mark()
    with client_for_user(alice.user, policy=TASK) as rc, pytest.raises(ProviderError) as failed:
        rc.post(SMS, an_sms(ringcentral))
    time.sleep(0.8)  # the sandbox logs the request once its delayed handling is over
    # then it was sent once: it may have been carried out, so it is not repeated
    assert failed.value.message == "RingCentral did not answer (ReadTimeout)"
    assert len(ringcentral.requests(since=mark, path_prefix=SMS)) == 1


def test_a_post_that_could_not_connect_is_retried(alice, settings, caplog):
    # given RingCentral cannot be reached at all (nothing listens on the port)
    caplog.set_level(logging.INFO, logger="telephony.ringcentral")
    settings.RINGCENTRAL_SERVER = "http://127.0.0.1:9"
    with client_for_user(alice.user, policy=WEB) as rc, pytest.raises(ProviderError) as failed:
        rc.post(SMS, {"text": "Hi"})
    # then both attempts were made: a request that never left cannot have been carried out
    attempts = [r.getMessage() for r in caplog.records if "no answer" in r.getMessage()]
    assert failed.value.message == "RingCentral did not answer (ConnectionError)"
    assert [line.rsplit("attempt=", 1)[1] for line in attempts] == ["1", "2"]


def enabled_users(sandbox: SandboxClient) -> list[int]:
    return sorted(
        int(e["extension_id"])
        for e in sandbox.credentials()["extensions"]
        if e["type"] == "User" and e["status"] == "Enabled"
    )


def test_paging_follows_next_page_over_several_pages(ringcentral, alice):
    expected = enabled_users(ringcentral)
    mark = ringcentral.mark()
    with client_for_user(alice.user) as rc:
        listed = [e.id for e in rc.account_extensions(per_page=2)]
    assert sorted(listed) == expected
    pages = [r for r in ringcentral.requests(since=mark) if r["path"].endswith("/extension")]
    assert [r["query"].get("page", ["1"])[0] for r in pages] == [
        str(n) for n in range(1, -(-len(expected) // 2) + 1)
    ]
    assert len(pages) >= 3


@contextmanager
def json_server(answer) -> Iterator[tuple[str, list[str]]]:
    """A stand-in RingCentral answering every GET with `answer(hits)` (a dict, as JSON), for
    answers the sandbox never gives. Yields its URL and the paths it was asked for."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = json.dumps(answer(hits)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_a_next_page_that_repeats_a_page_stops_paging_with_provider_error():
    # given a server whose nextPage keeps naming the same page (it stops after 20, to end a
    # looping client)
    page_two = "/restapi/v1.0/account/~/extension?page=2"

    def answer(hits: list[str]) -> dict:
        navigation = {"nextPage": {"uri": page_two}} if len(hits) < 20 else {}
        return {"records": [{"id": len(hits)}], "navigation": navigation}

    with json_server(answer) as (url, hits):
        rc = RingCentralClient(auth=GrantedToken("t", rate_limit_key="loop"), server=url)
        # when every record is listed, then it stops as soon as a page comes round again
        with rc, pytest.raises(ProviderError, match="nextPage repeats"):
            list(rc.records("/restapi/v1.0/account/~/extension"))
    assert hits == ["/restapi/v1.0/account/~/extension", page_two]


def test_streamed_download_writes_the_body_and_refuses_oversize(ringcentral, alice, settings):
    url = settings.RINGCENTRAL_SERVER + ME
    with client_for_user(alice.user) as rc:
        into = io.BytesIO()
        download = rc.download(url, into, max_bytes=1_000_000)
        assert download.size == len(into.getvalue()) > 100
        assert download.content_type.startswith("application/json")
        with pytest.raises(InvalidRequest, match="larger than 50 bytes"):
            rc.download(url, io.BytesIO(), max_bytes=50)


def test_a_link_to_another_host_is_never_sent_a_token(ringcentral, alice):
    mark = ringcentral.mark()
    with client_for_user(alice.user) as rc, pytest.raises(ProviderError, match="untrusted"):
        rc.download("https://evil.example/restapi/v1.0/x", io.BytesIO(), max_bytes=10)
    assert ringcentral.requests(since=mark) == []


def test_every_call_is_logged_without_tokens(ringcentral, caplog):
    # given a sign-in, a call, and a refresh, all logged
    caplog.set_level(logging.INFO, logger="telephony.ringcentral")
    sign_in(Client(), ringcentral, ringcentral.user("101"))
    connection = RingCentralConnection.objects.get()
    with client_for_user(connection.user) as rc:
        rc.extension_me()
    tokens = ConnectionTokens(connection)
    token = tokens.access_token()
    tokens.access_token_rejected(token)
    lines = [r.getMessage() for r in caplog.records if r.name == "telephony.ringcentral"]
    # then each call has its method, path, status, duration and rate-limit headers
    assert any(
        line.startswith("ringcentral GET /restapi/v1.0/account/~/extension/~ -> 200 in ")
        and "group=light limit=50 remaining=" in line
        and "window=60" in line
        for line in lines
    )
    assert sum("POST /restapi/oauth/token -> 200" in line for line in lines) == 2
    # and no token appears in any log record
    everything = caplog.text
    assert token not in everything
    for secret in (token, tokens.access_token()):
        assert secret not in everything


def test_retry_policy_backoff_is_jittered_and_capped():
    policy = RetryPolicy(attempts=5, backoff_base=1, backoff_cap=4, max_rate_limit_sleep=0)
    waits = [policy.backoff(attempt) for attempt in (1, 2, 3, 4, 5) for _ in range(20)]
    assert all(0.5 <= w <= 4 for w in waits)
    assert len({round(w, 6) for w in waits}) > 50
