import pytest


@pytest.fixture(autouse=True)
def _fresh(fresh_sandbox):
    """Every sandbox test starts from a freshly seeded account."""
    return fresh_sandbox
