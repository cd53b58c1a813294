import pytest

pytestmark = pytest.mark.django_db

POLICY = [
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
]


@pytest.mark.parametrize("path", ["/login/", "/no-such-page/", "/admin/login/", "/healthz"])
def test_every_answer_carries_the_strict_policy(client, path):
    response = client.get(path)
    # django-csp writes the directives in no fixed order
    assert sorted(response["Content-Security-Policy"].split("; ")) == sorted(POLICY)
    assert "Content-Security-Policy-Report-Only" not in response
