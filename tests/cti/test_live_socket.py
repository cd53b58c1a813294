import asyncio
import contextlib
import json

import pytest
import websockets
from asgiref.sync import sync_to_async
from django.db import transaction
from django.test import Client

from cti.events import publish, publish_on_commit, user_group
from tests.factories import agent

pytestmark = pytest.mark.django_db(transaction=True)


def session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def ws_url(http_url: str) -> str:
    return http_url.replace("http://", "ws://") + "/ws/live/"


async def connect(http_url: str, cookie: str | None):
    headers = {"Origin": http_url}
    if cookie:
        headers["Cookie"] = f"sessionid={cookie}"
    return await websockets.connect(ws_url(http_url), additional_headers=headers, open_timeout=10)


async def test_signed_in_user_receives_event_published_to_their_group(asgi_server):
    # given a signed-in agent with an open socket
    user = await sync_to_async(agent)()
    cookie = await sync_to_async(session_cookie)(user)
    async with await connect(asgi_server, cookie) as socket:
        # when the server publishes to that user's group
        event = {"type": "notice", "level": "info", "code": "hello", "message": "Hi"}
        await sync_to_async(publish)(groups=[user_group(user.pk)], event=event)
        # then exactly that event arrives
        received = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert received == event


async def test_anonymous_socket_is_refused(asgi_server):
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        await connect(asgi_server, cookie=None)
    assert refused.value.response.status_code == 403


async def test_socket_from_foreign_origin_is_refused(asgi_server):
    user = await sync_to_async(agent)()
    cookie = await sync_to_async(session_cookie)(user)
    headers = {"Origin": "http://evil.example", "Cookie": f"sessionid={cookie}"}
    with pytest.raises(websockets.exceptions.InvalidStatus) as refused:
        await websockets.connect(ws_url(asgi_server), additional_headers=headers)
    assert refused.value.response.status_code == 403


async def test_user_never_receives_another_users_event(asgi_server):
    # given two agents, both connected
    alice, bob = await sync_to_async(agent)(), await sync_to_async(agent)()
    alice_cookie = await sync_to_async(session_cookie)(alice)
    bob_cookie = await sync_to_async(session_cookie)(bob)
    async with (
        await connect(asgi_server, alice_cookie) as alice_socket,
        await connect(asgi_server, bob_cookie) as bob_socket,
    ):
        # when an event is published for Alice, then one for Bob
        for_alice = {"type": "notice", "level": "info", "code": "a", "message": "Alice"}
        for_bob = {"type": "notice", "level": "info", "code": "b", "message": "Bob"}
        await sync_to_async(publish)(groups=[user_group(alice.pk)], event=for_alice)
        await sync_to_async(publish)(groups=[user_group(bob.pk)], event=for_bob)
        # then each socket gets only its own
        bob_first = json.loads(await asyncio.wait_for(bob_socket.recv(), 5))
        alice_first = json.loads(await asyncio.wait_for(alice_socket.recv(), 5))
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(alice_socket.recv(), 0.5)
    assert bob_first == for_bob
    assert alice_first == for_alice


async def test_an_idle_socket_stays_open_and_still_receives(asgi_server):
    # redis-py's default 5 s read timeout equals channels-redis's 5 s blocking pop: without a
    # longer socket timeout, every idle socket died with "Timeout reading from ..." after ~5 s.
    user = await sync_to_async(agent)()
    cookie = await sync_to_async(session_cookie)(user)
    async with await connect(asgi_server, cookie) as socket:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(socket.recv(), 12)  # idle longer than two blocking pops
        event = {"type": "notice", "level": "info", "code": "later", "message": "Still here"}
        await sync_to_async(publish)(groups=[user_group(user.pk)], event=event)
        received = json.loads(await asyncio.wait_for(socket.recv(), 5))
    assert received == event


async def test_a_frame_that_is_not_json_is_ignored_and_the_socket_stays_open(asgi_server):
    # given a signed-in agent with an open socket
    user = await sync_to_async(agent)()
    cookie = await sync_to_async(session_cookie)(user)
    async with await connect(asgi_server, cookie) as socket:
        # when the browser sends garbage, text and binary
        await socket.send("not json {")
        await socket.send(b"\x00\x01")
        # then the socket still answers
        await socket.send(json.dumps({"type": "ping"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == {"type": "pong"}


async def test_signing_out_closes_that_sessions_sockets(asgi_server):
    # given Alice with an open socket, and a second session of hers in another browser
    user = await sync_to_async(agent)()
    cookie = await sync_to_async(session_cookie)(user)
    other_cookie = await sync_to_async(session_cookie)(user)
    async with (
        await connect(asgi_server, cookie) as socket,
        await connect(asgi_server, other_cookie) as other_socket,
    ):
        # when she signs out in another tab of the first session
        def sign_out() -> int:
            client = Client()
            client.cookies["sessionid"] = cookie
            return client.post("/logout/").status_code

        assert await sync_to_async(sign_out)() == 302
        # then that session's socket is closed (4401: the page stops reconnecting)
        with pytest.raises(websockets.exceptions.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), 5)
        assert closed.value.rcvd.code == 4401
        # and her other session's socket still receives her events
        event = {"type": "notice", "level": "info", "code": "still", "message": "Here"}
        await sync_to_async(publish)(groups=[user_group(user.pk)], event=event)
        assert json.loads(await asyncio.wait_for(other_socket.recv(), 5)) == event


async def test_an_event_of_a_rolled_back_transaction_is_never_published(asgi_server):
    # given a signed-in agent with an open socket
    user = await sync_to_async(agent)()
    cookie = await sync_to_async(session_cookie)(user)
    rolled_back = {"type": "notice", "level": "info", "code": "never", "message": "Rolled back"}
    committed = {"type": "notice", "level": "info", "code": "after", "message": "Committed"}
    async with await connect(asgi_server, cookie) as socket:
        # when a transaction publishes on commit and then fails, and a later one commits
        def fail_then_commit() -> None:
            with contextlib.suppress(RuntimeError), transaction.atomic():
                publish_on_commit(groups=[user_group(user.pk)], event=rolled_back)
                raise RuntimeError("the write failed")
            with transaction.atomic():
                publish_on_commit(groups=[user_group(user.pk)], event=committed)

        await sync_to_async(fail_then_commit)()
        # then only the committed event arrives: the rolled-back one was never sent
        assert json.loads(await asyncio.wait_for(socket.recv(), 5)) == committed
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(socket.recv(), 0.5)
