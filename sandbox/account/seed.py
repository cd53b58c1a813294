"""The seeded account: deterministic from the seed name (same seed, same ids, names, secrets).

Every seed starts from the same company (below). A seed name may add more through
`register_seed(name, fn)`: `fn(world)` runs after every module has set up its state, e.g. the
`demo` seed adds 30 days of call and message history.
"""

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING

import jwt

from sandbox.account.models import Account, App, Extension, PhoneNumber
from sandbox.config import Config
from sandbox.core.ids import Ids

if TYPE_CHECKING:
    from sandbox.platform import World

SCOPE = (
    "CallControl EditExtensions EditMessages EditPresence Faxes ReadAccounts ReadCallLog "
    "ReadCallRecording ReadContacts ReadMessages ReadPresence RingOut SMS SubscriptionWebhook"
)
CONFIDENTIAL_GRANTS = (
    "authorization_code",
    "refresh_token",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
)
PUBLIC_GRANTS = ("authorization_code", "refresh_token")
# Accounts were created at a fixed instant so that every seed run is identical.
CREATED = 1_704_067_200.0  # 2024-01-01T00:00:00Z
AREA = "+1650555"
MAIN_NUMBER = f"{AREA}0100"

# (first, last, role, extension number, direct-number features, job title)
USERS = (
    (
        "Alice",
        "Walker",
        "agent",
        "101",
        ["CallerId", "SmsSender", "MmsSender"],
        "Account Executive",
    ),
    ("Ben", "Carter", "agent", "102", ["CallerId", "SmsSender", "MmsSender"], "Account Executive"),
    ("Chloe", "Diaz", "agent", "103", ["CallerId", "SmsSender", "MmsSender"], "Sales Development"),
    ("Daniel", "Evans", "agent", "104", ["CallerId"], "Sales Development"),
    ("Sofia", "Martinez", "supervisor", "105", ["CallerId", "SmsSender"], "Sales Manager"),
    ("Morgan", "Lee", "admin", "106", ["CallerId", "SmsSender", "MmsSender"], "Operations"),
)

# Extensions that are not product users: (number, type, status, name, (number, type, usage)).
OTHER_EXTENSIONS = (
    ("107", "User", "Disabled", "Riley Brooks", None),
    ("201", "Department", "Enabled", "Sales Queue", (f"{AREA}0201", "VoiceOnly", "CompanyNumber")),
    ("900", "IvrMenu", "Enabled", "Main Menu", (MAIN_NUMBER, "VoiceFax", "MainCompanyNumber")),
)

SeedFn = Callable[["World"], None]
SEEDS: dict[str, list[SeedFn]] = {"basic": []}


def register_seed(name: str, fn: SeedFn) -> None:
    """Add `fn` to seed `name` (once: every platform's modules register at start-up)."""
    fns = SEEDS.setdefault(name, [])
    if fn not in fns:
        fns.append(fn)


def jwt_key(seed: str) -> str:
    """The key the sandbox signs JWT credentials with (HS256; a sandbox, not a vault)."""
    return hashlib.sha256(f"callboard-sandbox-jwt:{seed}".encode()).hexdigest()


def build_account(config: Config, ids: Ids) -> Account:
    account = Account(
        id=ids.numeric(),
        company_name="Callboard Demo Co.",
        main_number=MAIN_NUMBER,
        creation_time=CREATED,
    )
    for first, last, role, number, features, title in USERS:
        ext = account.add_extension(
            Extension(
                id=ids.numeric(),
                extension_number=number,
                type="User",
                status="Enabled",
                name=f"{first} {last}",
                first_name=first,
                last_name=last,
                email=f"{first}.{last}@callboard.example".lower(),
                role=role,
                password=f"{first.lower()}-{ids.word(8)}",
                job_title=title,
                department="Sales" if role != "admin" else "Operations",
                creation_time=CREATED,
            )
        )
        ext.jwt = _jwt_credential(config, ext, ids)
        account.phone_numbers.append(
            PhoneNumber(
                id=ids.numeric(),
                phone_number=f"{AREA}0{number}",
                type="VoiceFax",
                usage_type="DirectNumber",
                features=list(features),
                extension_id=ext.id_str,
                location="San Mateo, CA",
                primary=True,
            )
        )
        if role == "admin":
            account.operator_id = ext.id_str
            account.phone_numbers.append(
                PhoneNumber(
                    id=ids.numeric(),
                    phone_number=f"{AREA}0199",
                    type="FaxOnly",
                    usage_type="DirectNumber",
                    features=[],
                    extension_id=ext.id_str,
                    location="San Mateo, CA",
                    label="Fax",
                )
            )
    for number, kind, status, name, line in OTHER_EXTENSIONS:
        first, _, last = name.partition(" ")
        ext = account.add_extension(
            Extension(
                id=ids.numeric(),
                extension_number=number,
                type=kind,
                status=status,
                name=name,
                first_name=first if kind == "User" else "",
                last_name=last if kind == "User" else "",
                email=f"{first}.{last}@callboard.example".lower() if kind == "User" else None,
                creation_time=CREATED,
            )
        )
        if line is not None:
            e164, number_type, usage_type = line
            account.phone_numbers.append(
                PhoneNumber(
                    id=ids.numeric(),
                    phone_number=e164,
                    type=number_type,
                    usage_type=usage_type,
                    features=["CallerId"],
                    extension_id=ext.id_str,
                    location="San Mateo, CA",
                    primary=usage_type == "MainCompanyNumber",
                )
            )
    for name, secret, grants in (
        ("Callboard", ids.word(43), CONFIDENTIAL_GRANTS),
        ("Callboard (public client)", None, PUBLIC_GRANTS),
    ):
        app = App(
            client_id=ids.word(22),
            name=name,
            client_secret=secret,
            redirect_uris=list(config.redirect_uris),
            grants=grants,
            scope=SCOPE,
        )
        account.apps[app.client_id] = app
    return account


def _jwt_credential(config: Config, ext: Extension, ids: Ids) -> str:
    claims = {
        "aud": f"{config.public_url}/restapi/oauth/token",
        "sub": ext.id_str,
        "iss": config.public_url,
        "iat": int(CREATED),
        "jti": ids.word(22),
    }
    return jwt.encode(claims, jwt_key(config.seed), algorithm="HS256")


def decode_jwt_credential(token: str, seed: str) -> str | None:
    """The extension id a JWT credential was issued to, or None when it is not one of ours."""
    try:
        claims = jwt.decode(
            token, jwt_key(seed), algorithms=["HS256"], options={"verify_aud": False}
        )
    except jwt.PyJWTError:
        return None
    sub = claims.get("sub")
    return sub if isinstance(sub, str) else None
