import pytest


@pytest.fixture(autouse=True)
def _fresh(fresh_sandbox):
    """Every sandbox test starts from a freshly seeded account."""
    return fresh_sandbox


def login_api(sandbox, key: str):
    """(seeded user, httpx client with their bearer token) for a JWT login."""
    user = sandbox.user(key)
    tokens = sandbox.jwt_login(user)
    return user, sandbox.api(tokens["access_token"])


@pytest.fixture
def alice(sandbox):
    """Alice (agent, ext 101) and an API client logged in as her."""
    user, api = login_api(sandbox, "101")
    with api:
        yield user, api


@pytest.fixture
def alice_api(alice):
    return alice[1]


@pytest.fixture
def admin_api(sandbox):
    _, api = login_api(sandbox, "admin")
    with api:
        yield api
