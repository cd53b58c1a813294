"""Request bodies over their limit are refused with 413 before anything reads them, through a
real daphne (`python -m cti.serve`): at once on a Content-Length, as soon as the limit is passed
on a chunked body, without daphne's memory growing; the CSV import keeps its larger limit."""

import re
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from django.conf import settings
from django.core.asgi import get_asgi_application

from crm.models import ContactImport
from cti.body_limit import BodyLimits, BodySizeLimit
from tests.conftest import LOG_DIR
from tests.factories import agent
from tests.support.processes import start_daphne

MB = 1024 * 1024
GENERAL = settings.REQUEST_BODY_MAX_BYTES  # 2.5 MB
IMPORT = settings.CONTACT_IMPORT_BODY_MAX_BYTES  # 7.5 MB, the largest: daphne's own bound
PIECE = b"a" * 65536


def connect(url: str) -> socket.socket:
    parts = urlsplit(url)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def head(path: str, *framing: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", *framing, "", ""]
    return "\r\n".join(lines).encode()


def chunked(total: int) -> Iterator[bytes]:
    for _ in range(total // len(PIECE)):
        yield b"%x\r\n%s\r\n" % (len(PIECE), PIECE)
    yield b"0\r\n\r\n"


def plain(total: int) -> Iterator[bytes]:
    for _ in range(total // len(PIECE)):
        yield PIECE


def push(sock: socket.socket, pieces: Iterator[bytes]) -> int:
    """Send pieces until the server answers or closes; how many bytes went."""
    sent = 0
    for piece in pieces:
        if select.select([sock], [], [], 0)[0]:
            break
        try:
            sock.sendall(piece)
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(piece)
    return sent


def response(sock: socket.socket) -> tuple[int, str]:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except ConnectionResetError:
        pass
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1].decode()


def rss_kb(pid: int, field: str) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1))


@pytest.fixture(scope="module")
def own_daphne(django_db_setup):
    """A daphne of this module's own, to watch its memory."""
    server, url = start_daphne(LOG_DIR)
    yield server, url
    server.stop()


def test_a_declared_length_over_the_limit_is_refused_before_the_body_is_sent(asgi_server):
    sock = connect(asgi_server)
    started = time.monotonic()
    sock.sendall(head("/login/", f"Content-Length: {256 * MB}"))
    status, body = response(sock)
    assert time.monotonic() - started < 2
    assert status == 413
    assert body == "413 Content Too Large: this server takes a request body of 7.5 MB at most.\n"


def test_a_declared_length_over_the_limit_of_its_address_is_refused_unread(asgi_server):
    # over the general limit, under the import's: the application refuses it, Django never reads
    reply = httpx.post(asgi_server + "/login/", content=b"a" * (GENERAL + 1))
    assert reply.status_code == 413
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert reply.text == (
        "413 Content Too Large: this address takes a request body of 2.5 MB at most.\n"
    )


def test_a_chunked_body_over_the_limit_is_cut_off(asgi_server):
    sock = connect(asgi_server)
    sock.sendall(head("/login/", "Transfer-Encoding: chunked"))
    sent = push(sock, chunked(256 * MB))
    status, body = response(sock)
    assert status == 413
    assert body == "413 Content Too Large: this server takes a request body of 7.5 MB at most.\n"
    # what went before the cut-off: the bound, plus what the sockets' buffers took meanwhile
    assert IMPORT < sent < IMPORT + 16 * MB


def test_a_chunked_body_over_the_limit_of_its_address_is_refused(asgi_server):
    def pieces() -> Iterator[bytes]:
        yield from plain(GENERAL + len(PIECE))

    reply = httpx.post(asgi_server + "/login/", content=pieces())
    assert reply.status_code == 413
    assert reply.text == (
        "413 Content Too Large: this address takes a request body of 2.5 MB at most.\n"
    )


@pytest.mark.parametrize("framing", ["Content-Length", "Transfer-Encoding"])
@pytest.mark.parametrize("path", ["/login/", "/contacts/import/"])
def test_a_256_mb_upload_does_not_grow_daphne(own_daphne, framing, path):
    # given daphne's peak memory reset to what it holds now
    server, url = own_daphne
    pid = server.proc.pid
    Path(f"/proc/{pid}/clear_refs").write_text("5")
    before = rss_kb(pid, "VmRSS")
    # when a 256 MB body is sent
    sock = connect(url)
    if framing == "Content-Length":
        sock.sendall(head(path, f"Content-Length: {256 * MB}"))
        push(sock, plain(256 * MB))
    else:
        sock.sendall(head(path, "Transfer-Encoding: chunked"))
        push(sock, chunked(256 * MB))
    status, _ = response(sock)
    # then it was refused, and daphne's peak stayed within a few megabytes
    assert status == 413
    assert rss_kb(pid, "VmHWM") - before < 16 * 1024


async def test_the_application_reads_no_further_than_the_limit_of_a_streamed_body():
    # given the application behind a server that streams bodies as they arrive (uvicorn does)
    app = BodySizeLimit(get_asgi_application(), BodyLimits(default=10 * 65536, by_path={}))
    pieces_read = 0
    sent: list[dict] = []

    async def endless_body() -> dict:
        nonlocal pieces_read
        pieces_read += 1
        return {"type": "http.request", "body": PIECE, "more_body": True}

    async def send(message: dict) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/login/",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), (b"transfer-encoding", b"chunked")],
    }
    # when a body without a length never ends
    await app(scope, endless_body, send)
    # then the application stopped reading just past the limit and the answer is 413
    assert pieces_read == 11
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 413
    assert sent[1]["body"] == (
        b"413 Content Too Large: this address takes a request body of 0.6 MB at most.\n"
    )


def signed_in(url: str, username: str) -> tuple[httpx.Client, str]:
    """An HTTP client signed in through the log-in form, and its CSRF token."""
    client = httpx.Client(base_url=url, timeout=30)
    client.get("/login/")
    token = client.cookies["csrftoken"]
    answer = client.post(
        "/login/",
        data={"username": username, "password": "pw-for-tests", "csrfmiddlewaretoken": token},
    )
    assert answer.status_code == 302
    return client, client.cookies["csrftoken"]  # a new one for the new session


def csv_of(size: int) -> bytes:
    """A contact CSV of about `size` bytes (a long column that the import ignores)."""
    row = b"Ana,Adeyemi," + b"x" * 2000 + b"\n"
    return b"first_name,last_name,comment\n" + row * (size // len(row))


@pytest.mark.django_db(transaction=True)
def test_an_import_upload_over_the_general_limit_but_within_its_own_is_previewed(asgi_server):
    agent(username="alex")
    client, token = signed_in(asgi_server, "alex")
    data = csv_of(4 * MB)
    assert GENERAL < len(data) < settings.CONTACT_IMPORT_MAX_BYTES
    answer = client.post(
        "/contacts/import/",
        data={"csrfmiddlewaretoken": token},
        files={"file": ("people.csv", data, "text/csv")},
    )
    assert answer.status_code == 302
    contact_import = ContactImport.objects.get()
    assert answer.headers["location"] == f"/contacts/import/{contact_import.pk}/"
    assert len(contact_import.plan["rows"]) == len(data) // 2013


@pytest.mark.django_db(transaction=True)
def test_an_import_file_somewhat_over_its_limit_gets_the_forms_message(asgi_server):
    agent(username="alex")
    client, token = signed_in(asgi_server, "alex")
    answer = client.post(
        "/contacts/import/",
        data={"csrfmiddlewaretoken": token},
        files={"file": ("people.csv", csv_of(6 * MB), "text/csv")},
    )
    assert answer.status_code == 422
    assert "The file is 6.0 MB; the limit is 5 MB. Split it into smaller files." in answer.text
    assert ContactImport.objects.count() == 0
