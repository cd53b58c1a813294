"""The client's table of rate-limit groups is the official spec's `x-throttling-group`; the
budget shared by every process stays right when callers race."""

import threading
import time
import uuid

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


@pytest.fixture
def budget() -> RateLimitBudget:
    budget = RateLimitBudget(prefix=f"callboard:rc-rate:test-{uuid.uuid4().hex}:")
    yield budget
    for key in budget._client.scan_iter(budget._prefix + "*"):
        budget._client.delete(key)


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


def test_concurrent_penalties_keep_the_longest(budget, monkeypatch):
    # given two 429s handled at the same moment, a long one and a short one, each reading the
    # current penalty before either writes, the short one writing last (forced here by a
    # barrier on the read)
    barrier = threading.Barrier(2, timeout=5)
    real_hget = budget._client.hget

    def hget_together(*args, **kwargs):
        value = real_hget(*args, **kwargs)
        barrier.wait()
        if threading.current_thread().name == "short":
            time.sleep(0.2)
        return value

    monkeypatch.setattr(budget._client, "hget", hget_together)
    threads = [
        threading.Thread(
            target=budget.penalize, args=("ext1", "heavy"), kwargs={"wait": wait}, name=name
        )
        for name, wait in (("long", 60), ("short", 5))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    monkeypatch.undo()
    # then the long penalty stands: a call 5 s on would walk into RingCentral's 429 trap
    assert budget.reserve("ext1", "heavy") > 55


def test_a_recorded_answer_never_shortens_a_running_penalty(budget):
    budget.penalize("ext1", "medium", wait=3600)
    budget.observe("ext1", "medium", remaining=10, window=60)
    assert budget._client.ttl(budget._key("ext1", "medium")) > 3600
