"""`python -m cti.serve`: daphne's command line, same options, with request bodies bounded
while they arrive. Run the app with it instead of `daphne`.

daphne 4.2 collects a whole request body (twisted spools it to a file) and then queues all of it
in memory before it calls the application (django/daphne#483): no ASGI middleware can keep a
256 MB upload from costing 256 MB and more. Here a body over the largest limit of
`cti.body_limit` is answered 413 and its connection closed as soon as its Content-Length says so
or its chunks pass the limit. The limits per path are `BodySizeLimit`'s, in the application.
"""

import daphne.server  # first: it installs twisted's asyncio reactor
from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from twisted.internet.interfaces import IAddress, IProtocol

from cti.body_limit import body_limits, too_large_text


class BoundedWebRequest(WebRequest):
    _received = 0
    _refused = False

    def gotLength(self, length: int | None) -> None:
        super().gotLength(length)
        if length is not None and length > self.channel.factory.body_limit:
            self._refuse()

    def handleContentChunk(self, data: bytes) -> None:
        if self._refused:
            return
        self._received += len(data)
        if self._received > self.channel.factory.body_limit:
            self._refuse()
            return
        super().handleContentChunk(data)

    def process(self) -> None:
        # The end of a refused body may still arrive in the data read with its last chunk.
        if not self._refused:
            super().process()

    def _refuse(self) -> None:
        self._refused = True
        body = too_large_text(self.channel.factory.body_limit, taker="this server")
        transport = self.channel.transport
        transport.write(
            b"HTTP/1.1 413 Content Too Large\r\n"
            b"Content-Type: text/plain; charset=utf-8\r\n"
            b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
        )
        transport.loseConnection()


class BoundedHTTPFactory(HTTPFactory):
    def __init__(self, server: daphne.server.Server) -> None:
        super().__init__(server)
        # Built when the server starts, after the CLI imported (and so set up) the application.
        self.body_limit = body_limits().largest

    def buildProtocol(self, addr: IAddress | None) -> IProtocol | None:
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = BoundedWebRequest
        return protocol


def main() -> None:
    daphne.server.HTTPFactory = BoundedHTTPFactory  # Server.run() builds its factory by this name
    CommandLineInterface.entrypoint()


if __name__ == "__main__":
    main()
