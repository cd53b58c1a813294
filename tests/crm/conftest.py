import pytest
from django.test import Client

from tests.factories import agent


@pytest.fixture
def alex():
    """An agent."""
    return agent(username="alex", first_name="Alex")


@pytest.fixture
def client(alex):
    """A browser session signed in as Alex."""
    client = Client()
    client.force_login(alex)
    return client
