"""The client's steps on their own: what a request is, where it goes, and what follows one
attempt (the decisions `_send` strings together; test_client.py checks them end to end)."""

import time

import pytest
import requests
import urllib3

from telephony.ringcentral.client import (
    ONCE,
    TASK,
    TOKEN_PATH,
    WEB,
    GrantedToken,
    Request,
    RingCentralClient,
    Route,
    Step,
    Tries,
    step_after_answer,
    step_after_no_answer,
)
from telephony.ringcentral.errors import ProviderError, RateLimited

SERVER = "https://platform.example"
ME = "/restapi/v1.0/account/~/extension/~"
SMS = "/restapi/v1.0/account/~/extension/~/sms"


def read_timeout() -> requests.RequestException:
    return requests.ReadTimeout("read timed out")


def refused() -> requests.RequestException:
    """What requests raises when nothing listens on the port (the real thing, not a copy)."""
    try:
        requests.get("http://127.0.0.1:9/", timeout=1)
    except requests.RequestException as exc:
        return exc
    raise AssertionError("something answered on port 9")


def dropped() -> requests.RequestException:
    """What requests raises when the server closes the connection before answering."""
    return requests.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104))
    )


def answer(status: int, **headers: str) -> requests.Response:
    response = requests.Response()
    response.status_code = status
    response.headers.update(headers)
    return response


def client(budget, *, policy=WEB, auth=True) -> RingCentralClient:
    token = GrantedToken("t", rate_limit_key="ext1") if auth else None
    return RingCentralClient(auth=token, policy=policy, server=SERVER, budget=budget)


# --- the request ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "repeatable"),
    [("GET", True), ("put", True), ("DELETE", True), ("POST", False), ("PATCH", False)],
)
def test_a_request_is_repeatable_when_its_method_is_idempotent(method, repeatable):
    assert Request(method, ME).repeatable is repeatable


def test_a_request_can_say_it_is_repeatable_whatever_its_method():
    assert Request("POST", TOKEN_PATH, idempotent=True).repeatable is True
    assert Request("GET", ME, idempotent=False).repeatable is False


def test_a_request_is_a_value():
    request = Request("GET", ME, params={"page": 2})
    with pytest.raises(AttributeError):
        request.method = "POST"  # type: ignore[misc]
    assert request == Request("GET", ME, params={"page": 2})


# --- where it goes ----------------------------------------------------------------------------


def test_an_api_call_spends_its_token_sources_budget_in_its_group(budget):
    route = client(budget)._route(Request("GET", ME + "?x=1", rate_limit_key="other"))
    assert route == Route(url=SERVER + ME + "?x=1", path=ME, group="light", owner="ext1")


def test_an_app_call_spends_the_budget_it_names_or_none(budget):
    rc = client(budget, auth=False)
    named = rc._route(Request("POST", TOKEN_PATH, bearer=False, rate_limit_key="ext7"))
    unnamed = rc._route(Request("POST", TOKEN_PATH, bearer=False))
    assert (named.group, named.owner) == ("auth", "ext7")
    assert (unnamed.group, unnamed.owner) == ("auth", None)


def test_an_operation_the_table_does_not_know_has_no_group(budget):
    assert client(budget)._route(Request("GET", "/restapi/v1.0/glip/chats")).group is None


def test_an_api_call_without_a_token_source_is_a_programming_error(budget):
    with pytest.raises(RuntimeError, match="no token source"):
        client(budget, auth=False)._route(Request("GET", ME))


def test_a_url_on_another_host_has_no_route(budget):
    with pytest.raises(ProviderError, match=r"untrusted host 'evil\.example'"):
        client(budget)._route(Request("GET", "https://evil.example" + ME))


# --- holding back -----------------------------------------------------------------------------


def light(owner: str | None = "ext1") -> Route:
    return Route(url=SERVER + ME, path=ME, group="light", owner=owner)


def test_a_call_with_budget_left_goes_at_once_and_spends_it(budget):
    # given RingCentral said one request is left in the group
    budget.observe("ext1", "light", remaining=1, window=60)
    tries = Tries()
    # when a call is checked, then it may go without sleeping, and it took the last one
    client(budget)._hold_back(Request("GET", ME), light(), tries)
    assert tries.slept_for_limit is False
    assert budget.reserve("ext1", "light") > 55


def test_a_short_penalty_is_slept_through_once(budget):
    # given a penalty shorter than the web policy's one-second limit
    budget.penalize("ext1", "light", wait=0.3)
    tries = Tries()
    started = time.monotonic()
    # when the call is checked, then it waits the penalty out and may go
    client(budget)._hold_back(Request("GET", ME), light(), tries)
    assert 0.25 <= time.monotonic() - started < 1
    assert tries.slept_for_limit is True


def test_a_second_short_penalty_in_one_request_is_raised(budget):
    budget.penalize("ext1", "light", wait=0.3)
    tries = Tries(slept_for_limit=True)
    started = time.monotonic()
    with pytest.raises(RateLimited) as held:
        client(budget)._hold_back(Request("GET", ME), light(), tries)
    assert held.value.held_back is True
    assert time.monotonic() - started < 0.2


def test_a_long_penalty_is_raised_at_once_with_its_wait(budget):
    budget.penalize("ext1", "light", wait=30)
    started = time.monotonic()
    with pytest.raises(RateLimited) as held:
        client(budget)._hold_back(Request("GET", ME), light(), Tries())
    assert (held.value.held_back, held.value.group, held.value.path) == (True, "light", ME)
    assert 29 < held.value.retry_after <= 30
    assert time.monotonic() - started < 0.2


def test_a_call_whose_budget_is_nobodys_is_not_checked(budget):
    budget.penalize("ext1", "light", wait=30)
    client(budget)._hold_back(Request("GET", ME), light(owner=None), Tries())


# --- taking in an answer ----------------------------------------------------------------------


def test_an_answer_records_what_is_left_of_the_group(budget):
    headers = {"X-Rate-Limit-Remaining": "1", "X-Rate-Limit-Window": "60"}
    wait = client(budget)._take_in(answer(200, **headers), light())
    assert wait == 0
    assert budget.reserve("ext1", "light") == 0
    assert budget.reserve("ext1", "light") > 55


def test_a_429_starts_the_penalty_it_asks_for_and_returns_its_wait(budget):
    headers = {"Retry-After": "42", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Window": "60"}
    wait = client(budget)._take_in(answer(429, **headers), light())
    assert wait == 42
    assert 41 < budget.reserve("ext1", "light") <= 42


def test_a_429_for_an_unknown_operation_penalizes_the_group_ringcentral_names(budget):
    unknown = Route(url=SERVER + "/x", path="/x", group=None, owner="ext1")
    client(budget)._take_in(
        answer(429, **{"Retry-After": "9", "X-Rate-Limit-Group": "Heavy"}), unknown
    )
    assert 8 < budget.reserve("ext1", "heavy") <= 9
    assert budget.reserve("ext1", "light") == 0


# --- after no answer --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "error", "step"),
    [
        ("GET", read_timeout, Step.BACK_OFF),
        ("GET", dropped, Step.BACK_OFF),
        ("POST", read_timeout, Step.RAISE),
        ("POST", dropped, Step.RAISE),
        ("POST", refused, Step.BACK_OFF),
        ("POST", lambda: requests.ConnectTimeout("connect timed out"), Step.BACK_OFF),
    ],
    ids=[
        "get-timeout",
        "get-dropped",
        "post-timeout",
        "post-dropped",
        "post-refused",
        "post-connect-timeout",
    ],
)
def test_no_answer_is_retried_only_when_a_repeat_is_safe(method, error, step):
    assert step_after_no_answer(Request(method, SMS), error(), tries=Tries(), policy=WEB) is step


def test_no_answer_on_the_last_attempt_raises():
    last = Tries(attempt=WEB.attempts)
    assert step_after_no_answer(Request("GET", ME), refused(), tries=last, policy=WEB) is Step.RAISE


# --- after an answer --------------------------------------------------------------------------


def after(status, *, method="GET", policy=WEB, wait=0.0, bearer=True, **tries) -> Step:
    request = Request(method, ME, bearer=bearer)
    return step_after_answer(
        request, status, tries=Tries(**tries), policy=policy, rate_limit_wait=wait
    )


@pytest.mark.parametrize("status", [200, 201, 204, 302])
def test_an_answer_below_400_is_returned(status):
    assert after(status) is Step.RETURN


def test_the_first_401_reauthorizes_and_the_second_raises():
    assert after(401) is Step.REAUTHORIZE
    assert after(401, reauthorized=True) is Step.RAISE


def test_a_401_to_an_app_call_raises():
    assert after(401, bearer=False) is Step.RAISE


def test_a_5xx_is_retried_while_attempts_are_left():
    assert [after(503, policy=TASK, attempt=n) for n in (1, 2, 3, 4)] == [
        Step.BACK_OFF,
        Step.BACK_OFF,
        Step.BACK_OFF,
        Step.RAISE,
    ]


def test_a_5xx_to_a_post_is_never_retried_unless_it_is_repeatable():
    assert after(503, method="POST") is Step.RAISE
    request = Request("POST", TOKEN_PATH, bearer=False, idempotent=True)
    assert step_after_answer(request, 503, tries=Tries(), policy=WEB) is Step.BACK_OFF


def test_a_429_within_the_policys_sleep_is_waited_out_once():
    assert after(429, wait=1.0) is Step.WAIT_OUT
    assert after(429, wait=1.0, slept_for_limit=True) is Step.RAISE
    # the wait repeats the same attempt, so it does not depend on the attempts left
    assert after(429, wait=0.5, attempt=WEB.attempts) is Step.WAIT_OUT


def test_a_429_longer_than_the_policys_sleep_raises():
    assert after(429, wait=1.5) is Step.RAISE
    assert after(429, wait=1.5, policy=TASK) is Step.WAIT_OUT


def test_a_policy_that_may_not_sleep_never_resends_a_429_even_after_0_seconds():
    assert after(429, wait=0.0, policy=ONCE) is Step.RAISE


@pytest.mark.parametrize("status", [400, 403, 404, 409])
def test_other_4xx_raise(status):
    assert after(status) is Step.RAISE
