"""The OAuth login page in a real browser (Debian's chromium through Playwright)."""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from playwright.sync_api import expect

from tests.support.sandbox import pkce_pair

pytestmark = pytest.mark.browser

CALLBACK = "http://callback.test/accounts/ringcentral/login/callback/"


@pytest.fixture
def app_page(sandbox, page):
    """A page whose OAuth callback is answered in the browser (no app server needed)."""
    sandbox.add_redirect_uri(CALLBACK)
    page.route(
        "http://callback.test/**",
        lambda route: route.fulfill(
            status=200, content_type="text/html", body="<h1>Back in the app</h1>"
        ),
    )
    return page


def open_login(sandbox, page, state="st-browser"):
    verifier, challenge = pkce_pair()
    query = urlencode(
        {
            "response_type": "code",
            "client_id": sandbox.credentials()["client_id"],
            "redirect_uri": CALLBACK,
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    page.goto(f"{sandbox.url}/restapi/oauth/authorize?{query}")
    return verifier


def test_user_picks_a_sandbox_user_signs_in_and_returns_with_a_code(sandbox, app_page):
    verifier = open_login(sandbox, app_page)
    expect(app_page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(
        app_page.get_by_text("Callboard wants to access your RingCentral account")
    ).to_be_visible()
    app_page.get_by_role("button", name="Alice Walker").click()
    expect(app_page.get_by_label("Email or extension number")).to_have_value(
        "alice.walker@callboard.example"
    )
    app_page.get_by_role("button", name="Sign in", exact=True).click()
    expect(app_page.get_by_role("heading", name="Back in the app")).to_be_visible()
    query = parse_qs(urlsplit(app_page.url).query)
    assert query["state"] == ["st-browser"]
    assert query["expires_in"] == ["60"]
    response = sandbox.token(
        {
            "grant_type": "authorization_code",
            "code": query["code"][0],
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
        }
    )
    assert response.json()["owner_id"] == sandbox.user("101")["extension_id"]


def test_typed_credentials_with_a_wrong_password_show_an_error(sandbox, app_page):
    open_login(sandbox, app_page)
    app_page.get_by_label("Email or extension number").fill("102")
    app_page.get_by_label("Password").fill("wrong")
    app_page.get_by_role("button", name="Sign in", exact=True).click()
    expect(app_page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(app_page.get_by_label("Email or extension number")).to_have_value("102")
    app_page.get_by_label("Password").fill(sandbox.user("102")["password"])
    app_page.get_by_role("button", name="Sign in", exact=True).click()
    expect(app_page.get_by_role("heading", name="Back in the app")).to_be_visible()
    assert "code=" in app_page.url


def test_deny_returns_access_denied_to_the_app(sandbox, app_page):
    open_login(sandbox, app_page, state="st-deny")
    app_page.get_by_role("button", name="Deny").click()
    expect(app_page.get_by_role("heading", name="Back in the app")).to_be_visible()
    query = parse_qs(urlsplit(app_page.url).query)
    assert (query["error"], query["state"]) == (["access_denied"], ["st-deny"])
    assert sandbox.sessions() == []


def test_the_page_has_an_inline_icon_the_browser_can_draw(sandbox, app_page):
    requested: list[str] = []
    app_page.on("request", lambda request: requested.append(request.url))
    open_login(sandbox, app_page)
    expect(app_page.get_by_role("heading", name="Sign in")).to_be_visible()
    size = app_page.evaluate(
        """() => new Promise((resolve, reject) => {
            const image = new Image();
            image.onload = () => resolve([image.naturalWidth, image.naturalHeight]);
            image.onerror = reject;
            image.src = document.querySelector('link[rel="icon"]').href;
        })"""
    )
    assert size[0] > 0 and size[1] > 0
    assert not [url for url in requested if url.endswith("/favicon.ico")]
