"""The RingCentral sandbox as a real server for tests, and a client for its control API.

    server, sb = start_sandbox(log_dir)           # python -m sandbox on a free port
    sb.reset()                                    # a fresh account
    alice = sb.user("101")                        # seeded user (by number, role or name)
    tokens = sb.login(alice)                      # authorize -> login form -> code -> token
    api = sb.api(tokens["access_token"])          # httpx client with the bearer token
    api.get("/restapi/v1.0/account/~/extension/~")
    sb.requests(path_prefix="/restapi/oauth/token", grant_type="refresh_token")
    call = sb.start_call("+14155550123", "101")  # an outside caller rings Alice
    sb.drive(call["telephonySessionId"], "answer")

OAuth helpers drive the real endpoints over HTTP (the login form is posted like a browser
would); the browser test in tests/sandbox covers the page itself.
"""

import base64
import hashlib
import os
import secrets
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.support.openapi import spec_hook
from tests.support.processes import ServerProcess, free_port

DEFAULT_REDIRECT = "http://127.0.0.1:8000/accounts/ringcentral/login/callback/"


def pkce_pair(method: str = "S256") -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    if method == "plain":
        return verifier, verifier
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class SandboxClient:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.url, timeout=10, event_hooks={"response": [spec_hook]}
        )
        self._credentials: dict[str, Any] | None = None

    def close(self) -> None:
        self.http.close()

    # --- control API ---

    def _control(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, "/sandbox/v1" + path, **kwargs)
        response.raise_for_status()
        return response.json() if response.content else None

    def status(self) -> dict[str, Any]:
        return self._control("GET", "/status")

    def credentials(self) -> dict[str, Any]:
        if self._credentials is None:
            self._credentials = self._control("GET", "/credentials")
        return self._credentials

    def reset(self, *, seed: str | None = None, keep_config: bool = False) -> dict[str, Any]:
        self._credentials = None
        body: dict[str, Any] = {"keep_config": keep_config}
        if seed:
            body["seed"] = seed
        return self._control("POST", "/reset", json=body)

    def mark(self) -> int:
        """The id of the last logged API request: pass as `since` to count what follows."""
        return self.status()["last_request_id"]

    def requests(self, **filters: Any) -> list[dict[str, Any]]:
        params = {k: v for k, v in filters.items() if v is not None}
        return self._control("GET", "/requests", params=params)["records"]

    def outbox(self, **filters: Any) -> list[dict[str, Any]]:
        params = {k: v for k, v in filters.items() if v is not None}
        return self._control("GET", "/outbox", params=params)["records"]

    def sessions(self, **filters: Any) -> list[dict[str, Any]]:
        params = {k: v for k, v in filters.items() if v is not None}
        return self._control("GET", "/sessions", params=params)["records"]

    def config(self, **changes: Any) -> dict[str, Any]:
        if changes:
            return self._control("PATCH", "/config", json=changes)
        return self._control("GET", "/config")

    def add_redirect_uri(self, uri: str) -> None:
        self._control("PATCH", "/app", json={"add_redirect_uris": [uri]})
        self._credentials = None

    def add_fault(self, kind: str, **spec: Any) -> dict[str, Any]:
        return self._control("POST", "/faults", json={"kind": kind, **spec})

    def faults(self) -> list[dict[str, Any]]:
        return self._control("GET", "/faults")["records"]

    def clear_faults(self) -> None:
        self._control("DELETE", "/faults")

    def subscriptions(self) -> list[dict[str, Any]]:
        return self._control("GET", "/subscriptions")["records"]

    def deliveries(self, *, settle: bool = True, **filters: Any) -> list[dict[str, Any]]:
        """The delivery log; by default once every delivery in flight has its outcome logged
        (a receiver sees a notification before the sandbox has read the answer)."""
        params = {k: v for k, v in filters.items() if v is not None}
        if settle:
            params["settle"] = "true"
        return self._control("GET", "/deliveries", params=params)["records"]

    def advance(self, seconds: float) -> dict[str, Any]:
        """Move the sandbox clock forward (expires codes, tokens, subscriptions; fires timers)."""
        return self._control("POST", "/clock", json={"advance_s": seconds})

    # --- calls (control API) ---

    def start_call(self, caller: str, callee: str, **options: Any) -> dict[str, Any]:
        """Start a call (`POST /sandbox/v1/calls`). `caller`/`callee`: an extension number or
        id, or a phone number (the main number goes through the IVR). Options: `from_name`,
        `ring_s`, `voicemail_s`, `ivr_choice`, `ivr_s`, `record`, `device_id`. Returns the
        call (`telephonySessionId`, `callerPartyId`, `calleePartyId`, `parties`, ...)."""
        return self._control("POST", "/calls", json={"from": caller, "to": callee, **options})

    def call(self, telephony_session_id: str) -> dict[str, Any]:
        """A live or recently finished call as the control API shows it."""
        return self._control("GET", f"/calls/{telephony_session_id}")

    def calls(self, *, include_ended: bool = False) -> list[dict[str, Any]]:
        """Live calls (and the recently finished ones with `include_ended`)."""
        params = {"all": "true"} if include_ended else {}
        return self._control("GET", "/calls", params=params)["records"]

    def drive(self, telephony_session_id: str, action: str, **body: Any) -> dict[str, Any]:
        """`answer`, `hold`, `unhold`, `hangup`, `decline`, `voicemail` or `record` a call;
        `side="caller"|"callee"` or `party_id=` picks the leg (defaults per action)."""
        return self._control("POST", f"/calls/{telephony_session_id}/{action}", json=body)

    # --- traffic ---

    def traffic(self, action: str, **settings: Any) -> dict[str, Any]:
        """`POST /sandbox/v1/traffic`: `traffic("start", rate=6, seed="x", ...)` or
        `traffic("stop")`; returns the generator's status."""
        return self._control("POST", "/traffic", json={"action": action, **settings})

    def traffic_status(self) -> dict[str, Any]:
        return self._control("GET", "/traffic")

    # --- messaging ---

    def inbound_message(self, **spec: Any) -> dict[str, Any]:
        """`POST /sandbox/v1/messages` (type, to, from, text, attachments, duration_s, pages,
        …); returns the created message's record (`id`, `extension_id`, `attachment_ids`)."""
        return self._control("POST", "/messages", json=spec)["records"][0]

    def set_number_state(self, state: str, *numbers: str, error_code: str | None = None):
        """Mark outside numbers `unreachable`, `blocked`, `opted_out` (or `normal` again)."""
        body: dict[str, Any] = {"phone_numbers": list(numbers), "state": state}
        if error_code is not None:
            body["error_code"] = error_code
        return self._control("POST", "/messages/numbers", json=body)["records"]

    # --- seeded account ---

    def user(self, key: str) -> dict[str, Any]:
        """A seeded user by extension number ("101"), role ("supervisor") or first name."""
        for user in self.credentials()["users"]:
            if key in (user["extension_number"], user["role"], user["name"].split()[0]):
                return user
        raise KeyError(key)

    def app(self, public: bool = False) -> tuple[str, str | None]:
        creds = self.credentials()
        if public:
            return creds["public_client_id"], None
        return creds["client_id"], creds["client_secret"]

    # --- OAuth over HTTP ---

    def basic_auth(self) -> dict[str, str]:
        client_id, secret = self.app()
        raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        return {"Authorization": f"Basic {raw}"}

    def authorize(
        self,
        user: dict[str, Any] | None = None,
        *,
        public: bool = False,
        redirect_uri: str = DEFAULT_REDIRECT,
        pkce: str | None = "S256",
        state: str = "st-123",
        password: str | None = None,
        deny: bool = False,
    ) -> dict[str, Any]:
        """Run authorize + the login form; returns the redirect's query (code, state,
        expires_in or error) plus `verifier` and `redirect_uri`."""
        client_id, _ = self.app(public)
        verifier = challenge = None
        params = {
            "response_type": "code",
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "state": state,
        }
        if pkce:
            verifier, challenge = pkce_pair(pkce)
            params.update(code_challenge=challenge, code_challenge_method=pkce)
        first = self.http.get("/restapi/oauth/authorize", params=params)
        assert first.status_code == 302, first.text
        login = urlsplit(first.headers["location"])
        request_id = parse_qs(login.query)["request"][0]
        form = {"request": request_id, "action": "deny" if deny else "allow"}
        if user is not None:
            form.update(username=user["email"], password=password or user["password"])
        second = self.http.post(login.path, data=form)
        assert second.status_code == 302, second.text
        target = second.headers["location"]
        assert target.startswith(redirect_uri), target
        result = {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}
        return {**result, "verifier": verifier, "redirect_uri": redirect_uri}

    def token(self, data: dict[str, str], *, public: bool = False) -> httpx.Response:
        headers = {} if public else self.basic_auth()
        if public:
            data = {**data, "client_id": self.app(public=True)[0]}
        return self.http.post("/restapi/oauth/token", data=data, headers=headers)

    def exchange(self, grant: dict[str, Any], *, public: bool = False) -> httpx.Response:
        data = {
            "grant_type": "authorization_code",
            "code": grant["code"],
            "redirect_uri": grant["redirect_uri"],
        }
        if grant.get("verifier"):
            data["code_verifier"] = grant["verifier"]
        return self.token(data, public=public)

    def login(self, user: dict[str, Any], *, public: bool = False, **kwargs: Any) -> dict[str, Any]:
        """Authorization code + PKCE (S256) all the way to a TokenInfo."""
        grant = self.authorize(user, public=public, **kwargs)
        response = self.exchange(grant, public=public)
        assert response.status_code == 200, response.text
        return response.json()

    def jwt_login(self, user: dict[str, Any], **extra: str) -> dict[str, Any]:
        response = self.token(
            {
                "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                "assertion": user["jwt"],
                **extra,
            }
        )
        assert response.status_code == 200, response.text
        return response.json()

    def refresh(self, refresh_token: str, *, public: bool = False) -> httpx.Response:
        return self.token(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, public=public
        )

    def api(self, access_token: str) -> httpx.Client:
        """An httpx client for the REST API with the bearer token set (close it, or use `with`)."""
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {access_token}"},
            timeout=10,
            event_hooks={"response": [spec_hook]},
        )


def multipart(subtype: str, parts: list[tuple[dict[str, str], bytes]]) -> tuple[str, bytes]:
    """A `multipart/<subtype>` body from (headers, content) parts, for the encodings httpx does
    not build itself (`multipart/mixed`); returns (Content-Type, body)."""
    boundary = "Boundary_" + secrets.token_hex(8)
    chunks = []
    for headers, content in parts:
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        chunks.append(f"--{boundary}\r\n{head}\r\n".encode() + content + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return f"multipart/{subtype}; boundary={boundary}", b"".join(chunks)


def start_sandbox(log_dir: Path, *args: str) -> tuple[ServerProcess, SandboxClient]:
    """`python -m sandbox` on a free port; returns when its control API answers."""
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = ServerProcess(
        f"sandbox-{port}",
        [sys.executable, "-m", "sandbox", "--host", "127.0.0.1", "--port", str(port), *args],
        env,
        log_dir,
    )
    client = SandboxClient(f"http://127.0.0.1:{port}")
    server.wait_until(lambda: client.status()["ok"])
    return server, client
