"""Encryption of secrets at rest (RingCentral tokens) with keys from `TOKEN_ENCRYPTION_KEYS`.

Keys are Fernet keys, newest first: the newest encrypts, every key decrypts, so a new key can be
put in front and the old ones retired once `rotate_token_keys` has re-encrypted every row.
"""

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class UndecryptableSecret(Exception):
    """No configured key decrypts the stored value (its key was removed, or it was altered)."""


@cache  # keyed by the key tuple, so a changed setting builds a new one
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("TOKEN_ENCRYPTION_KEYS is empty; set at least one Fernet key.")
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError) as exc:
            raise ImproperlyConfigured(
                f"TOKEN_ENCRYPTION_KEYS key #{position} is not a Fernet key (32 url-safe "
                "base64-encoded bytes). Generate one with "
                "`python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'`."
            ) from exc
    return MultiFernet(fernets)


def _current() -> MultiFernet:
    return _fernet(tuple(settings.TOKEN_ENCRYPTION_KEYS))


def check_keys() -> None:
    """Raise ImproperlyConfigured when the configured keys are missing or malformed."""
    _current()


def encrypt(plaintext: str) -> str:
    """Ciphertext (ASCII) of `plaintext` under the newest key; "" stays "" (no secret)."""
    if not plaintext:
        return ""
    return _current().encrypt(plaintext.encode()).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """The plaintext of a value made by `encrypt`. Raises UndecryptableSecret when no key fits."""
    if not ciphertext:
        return ""
    try:
        return _current().decrypt(ciphertext.encode("ascii")).decode()
    except InvalidToken as exc:
        raise UndecryptableSecret("no configured TOKEN_ENCRYPTION_KEYS key decrypts it") from exc


def reencrypt(ciphertext: str) -> str:
    """The same secret encrypted under the newest key. Raises UndecryptableSecret."""
    if not ciphertext:
        return ""
    try:
        return _current().rotate(ciphertext.encode("ascii")).decode("ascii")
    except InvalidToken as exc:
        raise UndecryptableSecret("no configured TOKEN_ENCRYPTION_KEYS key decrypts it") from exc
