"""Settings for the test suite: the project's own settings (cti.settings) on PostgreSQL, with
development defaults and secrets made fresh for this run.

The suite refuses to start on anything but PostgreSQL: what it proves (row locks, prepared
statements, concurrent writers, the server processes sharing one database) only holds there.
The variables set here are inherited by the servers the tests start (daphne, the Celery
worker), so they share the secrets that encrypt the tokens.
"""

import os

import pytest
from cryptography.fernet import Fernet
from django.utils.crypto import get_random_string

HOW_TO_RUN = (
    "The test suite runs on PostgreSQL only. Run it with `make test`, which starts PostgreSQL "
    "and Redis (installing them as root on Debian) and sets DATABASE_URL and REDIS_URL; or set "
    "DATABASE_URL=postgres://user:password@127.0.0.1:5432/callboard (the role must be allowed "
    "to create the test database) and REDIS_URL=redis://127.0.0.1:6379/9 yourself."
)

_database_url = os.environ.get("DATABASE_URL", "").strip()
if _database_url.split("://", 1)[0] not in ("postgres", "postgresql", "pgsql"):
    found = f"DATABASE_URL is {_database_url!r}" if _database_url else "DATABASE_URL is not set"
    raise pytest.UsageError(f"{found}. {HOW_TO_RUN}")

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", get_random_string(50))
os.environ.setdefault("TOKEN_ENCRYPTION_KEYS", Fernet.generate_key().decode())

from cti.settings import *  # noqa: E402, F403
