"""The client's table of rate-limit groups is the official spec's `x-throttling-group`; the
budget shared by every process stays right when callers race."""

import threading
import time

import pytest

from telephony.ringcentral.ratelimit import OPERATION_GROUPS, RateLimitBudget, group_for
from tests.support.openapi import spec


@pytest.mark.parametrize(("method", "template", "group"), OPERATION_GROUPS)
def test_group_matches_the_spec(method, template, group):
    operation = spec()["paths"][template][method.lower()]
    assert operation["x-throttling-group"].lower() == group


@pytest.mark.parametrize(
    ("method", "path", "group"),
    [
        ("GET", "/restapi/v1.0/account/~/extension/~", "light"),
        ("GET", "/restapi/v1.0/account/~/extension", "medium"),
        ("GET", "/restapi/v1.0/account/37439510/extension?page=2", None),
        ("GET", "/restapi/v1.0/account/37439510/extension", "medium"),
        ("POST", "/restapi/v1.0/account/~/extension/~/ring-out", "heavy"),
        ("POST", "/restapi/v1.0/account/~/extension/~/ringout", "heavy"),
        ("GET", "/restapi/v1.0/account/~/extension/~/call-log", "heavy"),
        ("POST", "/restapi/oauth/token", "auth"),
        ("GET", "/restapi/v1.0/glip/chats", None),
    ],
)
def test_concrete_paths_find_their_group(method, path, group):
    assert group_for(method, path) == group


# --- the shared budget under concurrency ------------------------------------------------------


def test_an_answer_does_not_hand_back_requests_still_in_flight(budget):
    # given RingCentral said 5 requests are left, and five callers reserved them and sent
    budget.observe("ext1", "light", remaining=5, window=60)
    assert [budget.reserve("ext1", "light") for _ in range(5)] == [0] * 5
    # when the first answer comes back saying 4 are left (it counts only itself)
    budget.observe("ext1", "light", remaining=4, window=60)
    # then the four still in flight are not given back: the next call is held back
    assert budget.reserve("ext1", "light") > 55


def test_a_late_answer_with_an_older_count_does_not_raise_the_budget(budget):
    budget.observe("ext1", "light", remaining=2, window=60)
    budget.observe("ext1", "light", remaining=3, window=60)  # sent earlier, answered later
    assert [budget.reserve("ext1", "light") == 0 for _ in range(3)] == [True, True, False]


def test_a_new_window_takes_ringcentrals_count_again(budget):
    budget.observe("ext1", "light", remaining=0, window=1)
    assert budget.reserve("ext1", "light") > 0
    time.sleep(1.1)
    budget.observe("ext1", "light", remaining=40, window=60)
    assert budget.reserve("ext1", "light") == 0


def penalty_left(budget: RateLimitBudget, owner: str, group: str) -> float:
    """Seconds the recorded penalty still runs (what a call would be told to wait)."""
    return budget.reserve(owner, group)


def test_a_shorter_penalty_after_a_longer_one_keeps_the_longer(budget):
    # given a 429 that asked for 60 s
    budget.penalize("ext1", "heavy", wait=60)
    # when a later 429 asks for 5 s
    budget.penalize("ext1", "heavy", wait=5)
    # then the 60 s stand, and so does the key that holds them
    assert 59 < penalty_left(budget, "ext1", "heavy") <= 60
    assert budget._client.ttl(budget._key("ext1", "heavy")) > 170


def test_a_longer_penalty_after_a_shorter_one_extends_it(budget):
    budget.penalize("ext1", "heavy", wait=5)
    budget.penalize("ext1", "heavy", wait=600)
    assert 599 < penalty_left(budget, "ext1", "heavy") <= 600
    # the key outlives the longer penalty too
    assert budget._client.ttl(budget._key("ext1", "heavy")) > 700


def test_concurrent_penalties_end_with_the_longest(budget):
    # given one 429 asking for 60 s and, at the same moment, many asking for 5 to 12 s from
    # other processes, the short ones still arriving after the long one
    start = threading.Barrier(9, timeout=5)

    def penalize(waits: list[float]) -> None:
        start.wait()
        for wait in waits:
            budget.penalize("ext1", "heavy", wait=wait)

    threads = [threading.Thread(target=penalize, args=([60],))] + [
        threading.Thread(target=penalize, args=([5 + n] * 50,)) for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then the long penalty stands: a call 12 s on would walk into RingCentral's 429 trap
    assert 59 < penalty_left(budget, "ext1", "heavy") <= 60


def test_a_recorded_answer_never_shortens_a_running_penalty(budget):
    budget.penalize("ext1", "medium", wait=3600)
    budget.observe("ext1", "medium", remaining=10, window=60)
    assert budget._client.ttl(budget._key("ext1", "medium")) > 3600
