"""OAuth endpoints (CONTRACT §2, §13): authorize (-> the login page), token, revoke."""

import base64
import binascii
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse, RedirectResponse, Response

from sandbox.account.models import App
from sandbox.account.seed import decode_jwt_credential
from sandbox.core.errors import ApiError, OAuthError
from sandbox.core.routing import Ctx, Router, json_response
from sandbox.oauth.store import (
    AuthRequest,
    invalid_grant,
    pkce_challenge_ok,
    pkce_verifier_ok,
)

router = Router()
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
KNOWN_GRANTS = ("authorization_code", "refresh_token", JWT_GRANT, "client_credentials", "password")
ACCESS_TTL_BOUNDS = (600, 3600)  # spec: access_token_ttl 600..3600
REFRESH_TTL_MAX = 2_592_000  # spec: refresh_token_ttl max 30 days
LOGIN_PATH = "/sandbox/login"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
templates = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
# The pages link it inline so the browser never asks for /favicon.ico; the route serves it to
# browsers that open other sandbox URLs (the control API's JSON).
FAVICON = (TEMPLATES / "favicon.svg").read_bytes().strip()
templates.globals["favicon_uri"] = "data:image/svg+xml," + quote(FAVICON.decode(), safe="")


def invalid_request(code: str, message: str, **kwargs: Any) -> OAuthError:
    return OAuthError(400, "invalid_request", code, message, **kwargs)


def invalid_client(
    code: str = "OAU-146", message: str = "Invalid client credentials"
) -> OAuthError:
    return OAuthError(401, "invalid_client", code, message)


def missing(name: str) -> OAuthError:
    return invalid_request(
        "CMN-100", f"Mandatory parameter [{name}] not specified.", parameter_name=name
    )


# --- authorize ---

MALFORMED_CHALLENGE = {
    "S256": "code_challenge must be 43 characters of base64url (the SHA-256 of the verifier)",
    "plain": "code_challenge must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~",
}


def redirect_with(uri: str, params: dict[str, str | None]) -> RedirectResponse:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return RedirectResponse(f"{uri}{'&' if '?' in uri else '?'}{query}", status_code=302)


async def _authorize(ctx: Ctx, params: dict[str, str]) -> Response:
    client_id = params.get("client_id")
    if not client_id:
        raise missing("client_id")
    app = ctx.world.account.apps.get(client_id)
    if app is None:
        raise OAuthError(400, "unauthorized_client", "OAU-120", "Wrong Application ID")
    ctx.client_id = app.client_id
    redirect_uri = params.get("redirect_uri")
    if not redirect_uri:
        if len(app.redirect_uris) != 1:
            raise missing("redirect_uri")
        redirect_uri = app.redirect_uris[0]
    if redirect_uri not in app.redirect_uris:
        raise invalid_request(
            "OAU-109", "Redirect URIs do not match", parameter_name="redirect_uri"
        )
    state = params.get("state")

    def fail(error: str, description: str) -> RedirectResponse:
        return redirect_with(
            redirect_uri, {"error": error, "error_description": description, "state": state}
        )

    if params.get("response_type") != "code":
        return fail("unsupported_response_type", "Unsupported response type")
    challenge = params.get("code_challenge") or None
    method = params.get("code_challenge_method") or None
    if method is not None and method not in ("plain", "S256"):
        return fail("invalid_request", "Unsupported code_challenge_method")
    if challenge is None and method is not None:
        return fail("invalid_request", "code_challenge is required")
    if app.public and challenge is None:
        return fail("invalid_request", "code_challenge is required for this application")
    if challenge is not None and not pkce_challenge_ok(challenge, method or "plain"):
        # RFC 7636 §4.4.1: invalid_request, sent back to the (valid) redirect URI.
        return fail("invalid_request", MALFORMED_CHALLENGE[method or "plain"])
    request = ctx.world.oauth.start_request(
        client_id=app.client_id,
        redirect_uri=redirect_uri,
        state=state,
        challenge=challenge,
        method=(method or "plain") if challenge else None,
        login_hint=params.get("login_hint"),
    )
    return RedirectResponse(f"{ctx.url(LOGIN_PATH)}?request={request.id}", status_code=302)


@router.api("GET", "/restapi/oauth/authorize", group=None, auth=False)
async def authorize(ctx: Ctx) -> Response:
    return await _authorize(ctx, dict(ctx.query))


async def oauth_form(ctx: Ctx) -> dict[str, str]:
    """The form body; an unreadable one is an OAuth `invalid_request` (CONTRACT §3.3)."""
    try:
        return await ctx.form()
    except OAuthError:
        raise
    except ApiError as error:
        raise invalid_request(error.code, error.message) from None


@router.api("POST", "/restapi/oauth/authorize", group=None, auth=False)
async def authorize_form(ctx: Ctx) -> Response:
    return await _authorize(ctx, await oauth_form(ctx))


def render_login(
    ctx: Ctx,
    request: AuthRequest,
    *,
    error: str | None = None,
    username: str = "",
    status: int = 200,
) -> HTMLResponse:
    account = ctx.world.account
    html = templates.get_template("login.html").render(
        app_name=account.apps[request.client_id].name,
        action=ctx.url(LOGIN_PATH),
        request_id=request.id,
        username=username or request.login_hint or "",
        error=error,
        users=[
            {
                "name": ext.name,
                "email": ext.email,
                "password": ext.password,
                "extension_number": ext.extension_number,
                "role": ext.role,
            }
            for ext in account.users()
        ],
    )
    return HTMLResponse(html, status_code=status, headers=NO_STORE)


def expired_page() -> HTMLResponse:
    return HTMLResponse(templates.get_template("login_expired.html").render(), status_code=400)


@router.page("GET", LOGIN_PATH)
async def login_page(ctx: Ctx) -> Response:
    request = ctx.world.oauth.pending_request(ctx.query.get("request", ""))
    if request is None:
        return expired_page()
    return render_login(ctx, request)


@router.page("POST", LOGIN_PATH)
async def login_submit(ctx: Ctx) -> Response:
    form = await ctx.form()
    oauth = ctx.world.oauth
    request = oauth.pending_request(form.get("request", ""))
    if request is None:
        return expired_page()
    if form.get("action") == "deny":
        oauth.requests.pop(request.id, None)
        return redirect_with(
            request.redirect_uri,
            {
                "error": "access_denied",
                "error_description": "The user denied the authorization request",
                "state": request.state,
            },
        )
    username = form.get("username", "").strip()
    ext = ctx.world.account.find_login(username) if username else None
    password = form.get("password", "")
    if (
        ext is None
        or ext.password is None
        or not secrets.compare_digest(password.encode(), ext.password.encode())
    ):
        return render_login(
            ctx, request, error="Wrong username or password.", username=username, status=401
        )
    if not ext.is_user:
        error = f"Login for {ext.type} extension is not allowed."
        return render_login(ctx, request, error=error, username=username, status=403)
    if ext.status != "Enabled":
        error = "Login for extension in current state is not allowed."
        return render_login(ctx, request, error=error, username=username, status=403)
    code = oauth.issue_code(request, ext.id_str)
    return redirect_with(
        request.redirect_uri,
        {
            "code": code.code,
            "state": request.state,
            "expires_in": str(ctx.platform.config.code_ttl),
        },
    )


@router.page("GET", "/favicon.ico")
async def favicon(ctx: Ctx) -> Response:
    return Response(FAVICON, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})


# --- token and revoke ---


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        raise invalid_client("OAU-151", "Authorization method not supported")
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise invalid_client("OAU-134", "Invalid Authorization header.") from None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


def authenticate_client(ctx: Ctx, form: dict[str, str]) -> App:
    """Confidential apps: HTTP Basic with id and secret. Public apps: `client_id` in the body
    and no Authorization header (a Basic header without a secret is refused, as RC does)."""
    apps = ctx.world.account.apps
    header = ctx.request.headers.get("authorization")
    if header is not None:
        client_id, secret = _basic_credentials(header)
        app = apps.get(client_id)
        if (
            app is None
            or app.client_secret is None
            or not secrets.compare_digest(secret.encode(), app.client_secret.encode())
        ):
            raise invalid_client()
        return app
    client_id = form.get("client_id")
    if not client_id:
        raise invalid_client("OAU-123", "Authorization header is not specified")
    app = apps.get(client_id)
    if app is None or not app.public:
        raise invalid_client()
    return app


def _guess_client(ctx: Ctx, form: dict[str, str]) -> str:
    header = ctx.request.headers.get("authorization")
    if header:
        try:
            return _basic_credentials(header)[0] or "-"
        except OAuthError:
            return "-"
    return form.get("client_id") or "-"


async def token_rate_key(ctx: Ctx) -> tuple[str, str]:
    """The Auth group counts per user and app: find the user the grant is for."""
    form = await _token_form(ctx)
    world = ctx.world
    grant = form.get("grant_type")
    owner = None
    if grant == "authorization_code":
        owner = world.oauth.code_owner(form.get("code", ""))
    elif grant == "refresh_token":
        owner = world.oauth.refresh_owner(form.get("refresh_token", ""))
    elif grant == JWT_GRANT:
        owner = decode_jwt_credential(form.get("assertion", ""), world.seed)
    return owner or "-", _guess_client(ctx, form)


async def revoke_rate_key(ctx: Ctx) -> tuple[str, str]:
    form = await _token_form(ctx)
    token = form.get("token") or ctx.query.get("token") or ""
    sessions = ctx.world.oauth.select_sessions(access_token=token)
    return (sessions[0].extension_id if sessions else "-"), _guess_client(ctx, form)


async def _token_form(ctx: Ctx) -> dict[str, str]:
    content_type = ctx.request.headers.get("content-type", "")
    if not content_type.lower().startswith("application/x-www-form-urlencoded"):
        raise OAuthError(415, "invalid_request", "CMN-104", "Unsupported Media Type")
    return await oauth_form(ctx)


def _ttl(form: dict[str, str], name: str, low: int, high: int) -> int | None:
    raw = form.get(name)
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise invalid_request(
            "CMN-101", f"Parameter [{name}] value is invalid.", parameter_name=name
        ) from None
    return min(max(value, low), high)


@router.api("POST", "/restapi/oauth/token", group="Auth", auth=False, rate_key=token_rate_key)
async def token(ctx: Ctx) -> Response:
    form = await _token_form(ctx)
    grant = form.get("grant_type")
    ctx.log_extra["grant_type"] = grant
    app = authenticate_client(ctx, form)
    ctx.client_id = app.client_id
    if not grant:
        raise missing("grant_type")
    if grant not in app.grants:
        if grant in KNOWN_GRANTS:
            raise OAuthError(
                400,
                "unauthorized_client",
                "OAU-112",
                f"The client is unauthorized for the required grant type: [{grant}]",
            )
        raise OAuthError(
            400,
            "unsupported_grant_type",
            "CMN-101",
            "Parameter [grant_type] value is invalid.",
            parameter_name="grant_type",
        )
    access_ttl = _ttl(form, "access_token_ttl", *ACCESS_TTL_BOUNDS)
    refresh_ttl = _ttl(form, "refresh_token_ttl", 1, REFRESH_TTL_MAX)
    oauth = ctx.world.oauth
    if grant == "refresh_token":
        refresh_token = form.get("refresh_token")
        if not refresh_token:
            raise missing("refresh_token")
        session, replayed = oauth.refresh(
            token=refresh_token,
            client_id=app.client_id,
            access_ttl=access_ttl,
            refresh_ttl=refresh_ttl,
        )
        ctx.log_extra["replayed"] = replayed
    else:
        if grant == "authorization_code":
            code = form.get("code")
            if not code:
                raise missing("code")
            verifier = form.get("code_verifier")
            if verifier and not pkce_verifier_ok(verifier):
                # RFC 6749 §5.2 (RFC 7636 and CONTRACT §2.2 are silent): a malformed parameter
                # is invalid_request, refused before the code is looked at (it stays usable).
                raise invalid_request(
                    "CMN-101",
                    "Parameter [code_verifier] value is invalid.",
                    parameter_name="code_verifier",
                )
            redeemed = oauth.redeem_code(
                code=code,
                client_id=app.client_id,
                redirect_uri=form.get("redirect_uri"),
                verifier=verifier,
            )
            extension_id = redeemed.extension_id
        else:
            assertion = form.get("assertion")
            if not assertion:
                raise missing("assertion")
            extension_id = decode_jwt_credential(assertion, ctx.world.seed) or ""
            ext = ctx.world.account.extensions.get(extension_id)
            if ext is None or not ext.is_user or ext.status != "Enabled":
                raise invalid_grant("OAU-140", "Invalid resource owner credentials.")
        session = oauth.start_session(
            client_id=app.client_id,
            extension_id=extension_id,
            grant_type=grant,
            endpoint_id=form.get("endpoint_id"),
            access_ttl=access_ttl,
            refresh_ttl=refresh_ttl,
        )
    ctx.extension_id = session.extension_id
    ctx.log_extra["session_id"] = session.id
    return json_response(oauth.token_info(session), headers=NO_STORE)


@router.api("POST", "/restapi/oauth/revoke", group="Auth", auth=False, rate_key=revoke_rate_key)
async def revoke(ctx: Ctx) -> Response:
    form = await _token_form(ctx)
    app = authenticate_client(ctx, form)
    ctx.client_id = app.client_id
    token_value = form.get("token") or ctx.query.get("token")
    if not token_value:
        raise missing("token")
    oauth = ctx.world.oauth
    for session in oauth.select_sessions(access_token=token_value):
        if session.client_id == app.client_id:
            oauth.end_session(session, "revoked")
            ctx.extension_id = session.extension_id
    return Response(status_code=200)
