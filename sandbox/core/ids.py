"""Identifier generation. Ids are deterministic for a seed (a reset with the same seed gives the
same ids in the same order); secrets (tokens, codes, passwords shown to nobody) are not."""

import random
import secrets
import uuid


class Ids:
    def __init__(self, seed: str) -> None:
        self._rng = random.Random(f"ids:{seed}")  # noqa: S311 - deterministic by design
        self._used: set[int] = set()

    def numeric(self) -> int:
        """A RingCentral-looking int64 id (e.g. 62242421016): 9 random digits + a server suffix."""
        while True:
            value = self._rng.randrange(100_000_000, 999_999_999) * 1000 + 16
            if value not in self._used:
                self._used.add(value)
                return value

    def numeric_str(self) -> str:
        return str(self.numeric())

    def uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def hex(self, nbytes: int = 16) -> str:
        return f"{self._rng.getrandbits(nbytes * 8):0{nbytes * 2}x}"

    def word(self, length: int = 22) -> str:
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        return "".join(self._rng.choice(alphabet) for _ in range(length))

    def random(self) -> random.Random:
        """A child generator for modules that need their own deterministic stream."""
        return random.Random(self._rng.getrandbits(64))  # noqa: S311 - deterministic by design


def secret_token(prefix: str) -> str:
    """An unguessable opaque token such as an access token or an authorization code."""
    return prefix + secrets.token_urlsafe(32)
