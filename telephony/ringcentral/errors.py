"""Typed failures of calls to RingCentral. Each carries what its caller needs to act on it.

RingCentralError
├── RateLimited        429, or held back on our side: retry after `retry_after` seconds
├── AuthExpired        401 on an API call: the access token is no longer accepted
├── AuthRevoked        the grant was refused (`invalid_grant`): the person must sign in again
├── NotFound           404
├── PermissionMissing  403: the app or user lacks a permission
├── InvalidRequest     any other 4xx: RingCentral's `error_code` and message say why
└── ProviderError      5xx after retries, no answer (network, timeout), or an unreadable body
"""

from __future__ import annotations


class RingCentralError(Exception):
    """A call to RingCentral failed. `status` is the HTTP status (None when there was no answer);
    `error_code` is RingCentral's code (`CMN-102`, `OAU-213`, `invalid_grant`, ...) when given."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str = "",
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_code = error_code
        self.method = method
        self.path = path

    def __str__(self) -> str:
        where = f"{self.method} {self.path}: " if self.method else ""
        code = f" [{self.error_code}]" if self.error_code else ""
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{where}{self.message}{code}{status}"


class RateLimited(RingCentralError):
    """Too many requests in a rate-limit group. `retry_after` is the wait in seconds, from
    `Retry-After`, else `X-Rate-Limit-Window`, else 30 (at most a day). `held_back` is True
    when our own limiter refused before sending anything (RingCentral never saw the request)."""

    DEFAULT_WAIT = 30.0
    MAX_WAIT = 86400.0

    def __init__(
        self,
        message: str,
        *,
        retry_after: float,
        group: str = "",
        held_back: bool = False,
        status: int | None = None,
        error_code: str = "",
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(message, status=status, error_code=error_code, method=method, path=path)
        self.retry_after = retry_after
        self.group = group
        self.held_back = held_back


class AuthExpired(RingCentralError):
    """RingCentral answered 401 to an API call: the access token expired or was invalidated."""


class AuthRevoked(RingCentralError):
    """RingCentral refused a grant (`invalid_grant`: refresh token used, expired or revoked,
    session ended, authorization code used or its verifier wrong). Only signing in again helps."""


class NotFound(RingCentralError):
    """404: the resource does not exist (or is not visible to this token)."""


class PermissionMissing(RingCentralError):
    """403: the app lacks a permission (`CMN-401`, `CMN-408`) or the user may not do this."""


class InvalidRequest(RingCentralError):
    """Any other 4xx. `error_code` and `message` are RingCentral's, for the person or the log."""


class ProviderError(RingCentralError):
    """RingCentral failed (5xx after the bounded retries), did not answer in time, or sent a
    body we cannot read. Nothing the request could change; try again later."""
