"""Markup typed into any parameter of any view comes back escaped, never as a tag, and never
makes a 500: every route (from the resolver), every GET parameter it reads and every field of
its forms, as an agent and as a supervisor, as a page and as an htmx fragment.

Which parameters a view reads is recorded while it runs (`ReadRecorder`), so a new one is
attacked without being listed; only parameters read under a condition are named here.
"""

from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpRequest, QueryDict
from django.test import Client
from django.utils.datastructures import MultiValueDict

from tests.factories import agent, supervisor
from tests.support.routes import POST_DATA, ROUTES, Records, path_for, records_for

pytestmark = pytest.mark.django_db

PAYLOADS = ['"><script>alert(1)</script>', "'><img src=x onerror=alert(1)>"]
RAW_TAGS = ["<script>alert(1)", "<img src=x onerror"]

# Parameters a view reads only in some cases (the phone check reads any `*-raw` field, and
# `contact` only once the number is valid), with the others' valid values.
CONDITIONAL_GET: dict[str, dict[str, str]] = {
    "contacts/check-phone/": {"phones-0-raw": "+1 650 555 0100", "contact": "1"},
    "contacts/check-email/": {"email": "casey@example.com", "contact": "1"},
}


def sign_in_state(client: Client) -> dict[str, str]:
    """A RingCentral sign-in started in this browser, as its callback would carry it back
    with an error (which the callback shows without calling RingCentral)."""
    authorize = client.post("/accounts/ringcentral/login/")["Location"]
    state = parse_qs(urlsplit(authorize).query)["state"][0]
    return {"state": state, "error": "server_error", "error_description": "Try later"}


# Valid values a route needs for the other parameters to be looked at.
GET_BASE: dict[str, Callable[[Client], dict[str, str]]] = {
    "accounts/ringcentral/login/callback/": sign_in_state,
}


class Recording:
    """Notes each key asked for in `read_keys` (copies, as axes makes, note nothing)."""

    read_keys: set[str]

    def _note(self, key: str) -> None:
        if "read_keys" in self.__dict__:
            self.read_keys.add(key)

    def __getitem__(self, key):
        self._note(key)
        return super().__getitem__(key)

    def __contains__(self, key):
        self._note(key)
        return super().__contains__(key)

    def getlist(self, key, default=None):
        self._note(key)
        return super().getlist(key, default)


class RecordingQueryDict(Recording, QueryDict):
    pass


class RecordingFiles(Recording, MultiValueDict):
    pass


def _recording(original: QueryDict, read_keys: set[str]) -> RecordingQueryDict:
    recorded = RecordingQueryDict(mutable=True)
    recorded.read_keys = read_keys
    for key, values in original.lists():
        recorded.setlist(key, values)
    recorded._mutable = False
    return recorded


class ReadRecorder:
    """Middleware: the request's GET, POST and FILES note what the view reads, on
    `request.read_get` and `request.read_post`."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        request.read_get, request.read_post = set(), set()
        request.GET = _recording(request.GET, request.read_get)
        if request.method == "POST":
            files = RecordingFiles(request.FILES)
            files.read_keys = request.read_post
            request._files = files
            request.POST = _recording(request.POST, request.read_post)
        return self.get_response(request)


@pytest.fixture
def recorded(settings):
    settings.MIDDLEWARE = ["tests.cti.test_markup_escaped.ReadRecorder", *settings.MIDDLEWARE]
    settings.RINGCENTRAL_CLIENT_ID = "markup-test-app"  # the sign-in starts without RingCentral


def body_of(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def problems_in(response, what: str) -> list[str]:
    """Why this answer is unsafe, if it is: a 5xx, a raw tag in HTML, a sniffable non-HTML."""
    found = []
    if response.status_code >= 500:
        found.append(f"{what}: {response.status_code}")
    body = body_of(response)
    content_type = response.get("Content-Type", "")
    if content_type.startswith("text/html"):
        found += [f"{what}: raw {tag!r}" for tag in RAW_TAGS if tag in body]
    elif body and response.get("X-Content-Type-Options") != "nosniff":
        found.append(f"{what}: {content_type} that a browser may sniff as HTML")
    return found


def answer_and_pages_after(client: Client, response, what: str) -> list[str]:
    """The answer's problems and those of the pages its redirects lead to on this site."""
    found = problems_in(response, what)
    for _ in range(5):
        location = response.get("Location", "")
        if response.status_code not in (301, 302, 303) or not location.startswith("/"):
            break
        response = client.get(location)
        found += problems_in(response, f"{what} → {location}")
    return found


def with_payload(value, payload: str) -> list:
    """The field's value replaced by the payload; an upload attacked by its name and content."""
    if isinstance(value, SimpleUploadedFile):
        value.seek(0)
        content = value.read()
        return [
            SimpleUploadedFile(payload + ".csv", content, "text/csv"),
            SimpleUploadedFile(
                "people.csv",
                content + b'"' + payload.replace('"', '""').encode() + b'",Ng,+16505550133\n',
                "text/csv",
            ),
        ]
    return [payload]


ROLES = {"agent": agent, "supervisor": supervisor}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("route", ROUTES)
def test_markup_in_every_parameter_comes_back_escaped(recorded, route, role):
    # given a signed-in agent or supervisor with records of their own
    user = ROLES[role](username=role)
    records: Records = records_for(user)
    client = Client()
    path = path_for(route, records)
    base = GET_BASE.get(route, lambda client: {})

    def get(params: dict, **headers):
        client.force_login(user)
        return client.get(path, {**base(client), **params}, headers=headers)

    # what the view reads of the query when asked plainly
    read_get = get({}).wsgi_request.read_get | set(CONDITIONAL_GET.get(route, {}))
    problems = []
    # when each parameter carries markup, the others valid, as a page and as an htmx fragment
    for name in sorted(read_get):
        for payload in PAYLOADS:
            params = {**CONDITIONAL_GET.get(route, {}), name: payload}
            for headers in ({}, {"HX-Request": "true"}):
                response = get(params, **headers)
                problems += answer_and_pages_after(client, response, f"GET {name}={payload!r}")
    # and each field of its form does, when it takes a POST
    if route in POST_DATA:
        client.force_login(user)
        first = client.post(path, POST_DATA[route](records))
        fields = set(POST_DATA[route](records)) | first.wsgi_request.read_post
        problems += answer_and_pages_after(client, first, "POST as it is")
        for name in sorted(fields - {"csrfmiddlewaretoken"}):
            for payload in PAYLOADS:
                data = POST_DATA[route](records)
                for value in with_payload(data.get(name, ""), payload):
                    for headers in ({}, {"HX-Request": "true"}):
                        client.force_login(user)
                        response = client.post(path, {**data, name: value}, headers=headers)
                        what = f"POST {name}={getattr(value, 'name', value)!r}"
                        problems += answer_and_pages_after(client, response, what)
    # then nothing came back as a tag, and nothing failed
    assert problems == []


def test_the_payloads_do_reach_the_pages(recorded):
    # the check above would pass vacuously if the markup never came back at all
    user = agent(username="alex")
    records_for(user)
    client = Client()
    client.force_login(user)
    page = client.get("/contacts/", {"q": PAYLOADS[0]}).content.decode()
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    created = client.post("/companies/new/", {"name": PAYLOADS[1]}, follow=True)
    assert "&#x27;&gt;&lt;img src=x onerror=alert(1)&gt;" in created.content.decode()
