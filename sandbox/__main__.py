"""`python -m sandbox --port 8090`: run the RingCentral emulator (see sandbox/README.md)."""

import logging
import socket
import sys

import uvicorn

from sandbox.app import create_app
from sandbox.config import parse_args


def bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.set_inheritable(True)
    return sock


def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv)
    logging.basicConfig(
        level=config.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        app = create_app(config)
    except ValueError as error:
        sys.exit(f"sandbox: {error}")
    sockets = [bind(config.host, config.port)]
    if config.media_port:
        sockets.append(bind(config.host, config.media_port))
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            loop="uvloop",
            http="httptools",
            lifespan="on",
            access_log=False,
            log_level=config.log_level,
            server_header=False,
        )
    )
    print(
        f"sandbox: serving {config.public_url} (seed {config.seed}); "
        f"credentials at {config.public_url}/sandbox/v1/credentials",
        flush=True,
    )
    server.run(sockets=sockets)


if __name__ == "__main__":
    main()
