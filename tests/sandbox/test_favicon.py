"""The sandbox's favicon: inline on its pages (no /favicon.ico request, no 404 in its log) and
served at /favicon.ico for browsers that open its other URLs."""

import re
import xml.etree.ElementTree as ET
from urllib.parse import unquote

from tests.support.sandbox import DEFAULT_REDIRECT

SVG = "{http://www.w3.org/2000/svg}svg"


def icon_href(html: str) -> str:
    [href] = re.findall(r'<link rel="icon" type="image/svg\+xml" href="([^"]+)">', html)
    return href


def test_favicon_ico_is_an_svg_and_not_logged_as_a_404(sandbox):
    mark = sandbox.mark()
    response = sandbox.http.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert ET.fromstring(response.content).tag == SVG  # noqa: S314 (our own file)
    assert sandbox.requests(since=mark) == []


def test_login_page_links_the_same_icon_inline(sandbox):
    first = sandbox.http.get(
        "/restapi/oauth/authorize",
        params={
            "response_type": "code",
            "client_id": sandbox.app()[0],
            "redirect_uri": DEFAULT_REDIRECT,
        },
    )
    page = sandbox.http.get(first.headers["location"])
    assert page.status_code == 200
    href = icon_href(page.text)
    prefix = "data:image/svg+xml,"
    assert href.startswith(prefix)
    assert unquote(href[len(prefix) :]).encode() == sandbox.http.get("/favicon.ico").content


def test_expired_login_link_page_links_the_icon_too(sandbox):
    page = sandbox.http.get("/sandbox/login", params={"request": "gone"})
    assert page.status_code == 400
    assert icon_href(page.text).startswith("data:image/svg+xml,")
