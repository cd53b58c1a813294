"""RingCentral error bodies (CONTRACT §3.1-§3.3) and the exception handlers raise to send them.

Handlers raise `ApiError` (or `OAuthError` on `/restapi/oauth/*`); the request pipeline turns it
into the response, so no handler builds an error body by hand.
"""

from typing import Any


def error_item(
    code: str,
    message: str,
    *,
    parameter_name: str | None = None,
    parameter_value: str | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {"errorCode": code, "message": message}
    if parameter_name is not None:
        item["parameterName"] = parameter_name
    if parameter_value is not None:
        item["parameterValue"] = parameter_value
    return item


class ApiError(Exception):
    """An error response: `{"errors": [{"errorCode", "message", "parameterName"?}]}`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        parameter_name: str | None = None,
        parameter_value: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.parameter_name = parameter_name
        self.parameter_value = parameter_value
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        return {
            "errors": [
                error_item(
                    self.code,
                    self.message,
                    parameter_name=self.parameter_name,
                    parameter_value=self.parameter_value,
                )
            ]
        }


class OAuthError(ApiError):
    """An OAuth endpoint error: the spec's `OauthInvalidRequest` (`error` + `errors[]`) plus
    `error_description`, which RingCentral sends although the spec omits it (CONTRACT §3.3)."""

    def __init__(self, status: int, error: str, code: str, message: str, **kwargs: Any) -> None:
        super().__init__(status, code, message, **kwargs)
        self.error = error

    def body(self) -> dict[str, Any]:
        return {"error": self.error, **super().body(), "error_description": self.message}


# --- the common ones (CONTRACT §3.2) ---


def mandatory_parameter(name: str) -> ApiError:
    return ApiError(
        400, "CMN-100", f"Mandatory parameter [{name}] not specified.", parameter_name=name
    )


def invalid_parameter(name: str, value: Any = None, *, status: int = 400) -> ApiError:
    return ApiError(
        status,
        "CMN-101",
        f"Parameter [{name}] value is invalid.",
        parameter_name=name,
        parameter_value=None if value is None else str(value),
    )


def not_found(name: str, value: Any = None) -> ApiError:
    return ApiError(
        404,
        "CMN-102",
        f"Resource for parameter [{name}] is not found",
        parameter_name=name,
        parameter_value=None if value is None else str(value),
    )


def unparsable_json() -> ApiError:
    return ApiError(400, "CMN-103", "JSON can't be parsed.")


def unparsable_request() -> ApiError:
    return ApiError(400, "CMN-104", "Cannot parse request")


def another_extension() -> ApiError:
    return ApiError(403, "CMN-404", "Attempt to access another extension")


def rate_exceeded(headers: dict[str, str]) -> ApiError:
    return ApiError(429, "CMN-301", "Request rate exceeded", headers=headers)


def internal_error() -> ApiError:
    return ApiError(500, "CMN-203", "Internal Server Error")


def unauthorized(code: str, message: str) -> ApiError:
    return ApiError(401, code, message)


UNAUTHORIZED = {
    "missing": ("OAU-123", "Authorization header is not specified"),
    "bad_header": ("OAU-134", "Invalid Authorization header."),
    "unparsable": ("OAU-149", "Unparsable access token"),
    "expired": ("OAU-128", "Access token expired."),
    "corrupted": ("OAU-129", "Access token corrupted."),
    "revoked": ("OAU-211", "Token revoked"),
    "not_found": ("OAU-213", "Token not found"),
}
