from typing import Any

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from cti.events import session_group, user_group


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Pushes live events to one signed-in browser tab.

    Anonymous sockets are closed. Groups are named by the server from the session's user;
    the client never chooses one.
    """

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.groups_joined = [user_group(user.pk)]
        session_key = getattr(self.scope.get("session"), "session_key", None)
        if session_key:
            self.groups_joined.append(session_group(session_key))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any
    ) -> None:
        """Only JSON text frames mean anything; anything else is ignored (the base class raised,
        closing the socket with an internal error)."""
        if text_data is None:
            return
        try:
            content = await self.decode_json(text_data)
        except ValueError:
            return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def live_event(self, message: dict[str, Any]) -> None:
        await self.send_json(message["event"])

    async def session_ended(self, message: dict[str, Any]) -> None:
        """The session this socket was opened with signed out (4401: the page stops
        reconnecting)."""
        await self.close(code=4401)
