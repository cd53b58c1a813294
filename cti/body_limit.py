"""Request bodies over their limit are answered 413 before the application reads them.

`BodySizeLimit` wraps the HTTP application (cti/asgi.py). A Content-Length over the limit for
the path is answered at once, without reading a byte of the body. A body sent without one
(chunked) is counted as it arrives; once it passes the limit the application is told the client
left (`http.disconnect`, so Django stops reading) and the rest is never read.

The limits: REQUEST_BODY_MAX_BYTES everywhere, CONTACT_IMPORT_BODY_MAX_BYTES for the CSV
import's upload. daphne collects a whole body before it calls the application, so `cti.serve`
also refuses anything over the largest of them while it arrives.
"""

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.urls import reverse

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass(frozen=True)
class BodyLimits:
    default: int
    by_path: Mapping[str, int]

    def for_path(self, path: str) -> int:
        return self.by_path.get(path, self.default)

    @property
    def largest(self) -> int:
        return max(self.default, *self.by_path.values())


def body_limits() -> BodyLimits:
    return BodyLimits(
        default=settings.REQUEST_BODY_MAX_BYTES,
        by_path={reverse("crm:import"): settings.CONTACT_IMPORT_BODY_MAX_BYTES},
    )


def too_large_text(limit: int, *, taker: str = "this address") -> bytes:
    megabytes = f"{round(limit / 1024 / 1024, 1):g} MB"
    return f"413 Content Too Large: {taker} takes a request body of {megabytes} at most.\n".encode()


def declared_length(scope: Scope) -> int | None:
    """The largest Content-Length the request declares; None without one (or a number)."""
    lengths = [
        int(value)
        for name, value in scope["headers"]
        if name.lower() == b"content-length" and value.strip().isdigit()
    ]
    return max(lengths, default=None)


async def send_too_large(send: Send, limit: int) -> None:
    body = too_large_text(limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"x-content-type-options", b"nosniff"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodySizeLimit:
    def __init__(self, app: ASGIApp, limits: BodyLimits) -> None:
        self.app = app
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limits.for_path(scope["path"])
        length = declared_length(scope)
        if length is not None and length > limit:
            await send_too_large(send, limit)
            return
        received = 0
        over = False
        responded = False

        async def receive_within_limit() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return message

        async def send_and_note(message: Message) -> None:
            nonlocal responded
            responded = responded or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, receive_within_limit, send_and_note)
        if over and not responded:
            await send_too_large(send, limit)
