"""A local webhook receiver for tests: answers the validation handshake and records every
delivery with its headers. It can be told to fail, to answer slowly, or to botch the handshake.
"""

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Behaviour:
    status: int = 200
    delay: float = 0.0
    echo_validation: bool = True
    validation_status: int = 200
    validation_delay: float = 0.0
    validation_body: bytes = b""
    reply_body: bytes = b""
    reply_delay: float = 0.0  # after recording a delivery, before answering it


@dataclass
class WebhookReceiver:
    behaviour: Behaviour = field(default_factory=Behaviour)
    deliveries: list[Received] = field(default_factory=list)
    validations: list[Received] = field(default_factory=list)
    failures: int = 0

    def __post_init__(self) -> None:
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                receiver._handle(self, Received(self.path, headers, body, time.monotonic()))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/webhook"

    def set(self, **changes: Any) -> None:
        """Change how the receiver answers from now on (fields of `Behaviour`)."""
        for name, value in changes.items():
            if not hasattr(self.behaviour, name):
                raise AttributeError(name)
            setattr(self.behaviour, name, value)

    def _handle(self, handler: BaseHTTPRequestHandler, received: Received) -> None:
        b = self.behaviour
        token = received.headers.get("validation-token")
        if token is not None:
            with self._cond:
                self.validations.append(received)
                self._cond.notify_all()
            time.sleep(b.validation_delay)
            headers = {"Validation-Token": token} if b.echo_validation else {}
            self._reply(handler, b.validation_status, headers, b.validation_body)
            return
        time.sleep(b.delay)
        with self._cond:
            if 200 <= b.status < 300:
                self.deliveries.append(received)
            else:
                self.failures += 1
            self._cond.notify_all()
        time.sleep(b.reply_delay)
        self._reply(handler, b.status, {}, b.reply_body)

    @staticmethod
    def _reply(handler, status: int, headers: dict[str, str], body: bytes) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if body:
            handler.wfile.write(body)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """Wait until at least `count` deliveries were accepted; returns them all."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.deliveries) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} deliveries, got {len(self.deliveries)}")
                self._cond.wait(remaining)
            return list(self.deliveries)

    def wait_for_failures(self, count: int, timeout: float = 5.0) -> int:
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.failures < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} failed deliveries, got {self.failures}")
                self._cond.wait(remaining)
            return self.failures

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def subscribe(api, receiver: WebhookReceiver, filters: list[str], **extra: Any):
    """Create a WebHook subscription for `filters` delivering to `receiver` (verification
    token `vt-1`); returns the httpx response."""
    body = {
        "eventFilters": filters,
        "deliveryMode": {
            "transportType": "WebHook",
            "address": receiver.url,
            "verificationToken": "vt-1",
        },
        **extra,
    }
    return api.post("/restapi/v1.0/subscription", json=body)
