import uuid
from collections.abc import Iterator

import pytest

from telephony.ringcentral.ratelimit import RateLimitBudget


@pytest.fixture
def budget() -> Iterator[RateLimitBudget]:
    """A rate-limit budget in the test Redis under a prefix of its own, removed afterwards."""
    budget = RateLimitBudget(prefix=f"callboard:rc-rate:test-{uuid.uuid4().hex}:")
    yield budget
    for key in budget._client.scan_iter(budget._prefix + "*"):
        budget._client.delete(key)
