"""The emulated account: extensions, phone numbers and registered apps."""

from dataclasses import dataclass, field
from typing import Any

from sandbox.core.errors import not_found

USER_ROLES = ("agent", "supervisor", "admin")


@dataclass
class PhoneNumber:
    id: int
    phone_number: str
    type: str  # VoiceFax | VoiceOnly | FaxOnly
    usage_type: str  # MainCompanyNumber | DirectNumber | CompanyFaxNumber | ...
    features: list[str]
    extension_id: str | None
    location: str
    label: str | None = None
    primary: bool = False
    status: str = "Normal"
    payment_type: str = "Local"


@dataclass
class Extension:
    id: int
    extension_number: str
    type: str  # AllExtensionTypesEnum
    status: str  # Enabled | Disabled | NotActivated | ...
    name: str
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    role: str | None = None  # agent | supervisor | admin, for users of the product
    password: str | None = None
    jwt: str | None = None
    job_title: str | None = None
    department: str | None = None
    creation_time: float = 0.0

    @property
    def id_str(self) -> str:
        return str(self.id)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_user(self) -> bool:
        return self.type == "User"


@dataclass
class App:
    client_id: str
    name: str
    client_secret: str | None  # None: a public client (PKCE, client_id in the body)
    redirect_uris: list[str]
    grants: tuple[str, ...]
    scope: str

    @property
    def public(self) -> bool:
        return self.client_secret is None


@dataclass
class Account:
    id: int
    company_name: str
    main_number: str
    creation_time: float
    extensions: dict[str, Extension] = field(default_factory=dict)
    phone_numbers: list[PhoneNumber] = field(default_factory=list)
    apps: dict[str, App] = field(default_factory=dict)
    operator_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def id_str(self) -> str:
        return str(self.id)

    def add_extension(self, ext: Extension) -> Extension:
        self.extensions[ext.id_str] = ext
        return ext

    def users(self) -> list[Extension]:
        return [e for e in self.extensions.values() if e.is_user and e.role]

    def resolve_account_id(self, raw: str) -> str:
        if raw in ("~", self.id_str):
            return self.id_str
        raise not_found("accountId", raw)

    def resolve_extension(self, raw: str, me: Extension | None) -> Extension:
        if raw == "~":
            if me is None:
                raise not_found("extensionId", raw)
            return me
        ext = self.extensions.get(raw)
        if ext is None:
            raise not_found("extensionId", raw)
        return ext

    def find_login(self, username: str) -> Extension | None:
        """Login names RingCentral accepts: email, extension number, or a direct number."""
        name = username.strip().lower()
        for ext in self.extensions.values():
            if (ext.email and ext.email.lower() == name) or ext.extension_number == name:
                return ext
        digits = "".join(c for c in name if c.isdigit())
        for number in self.phone_numbers:
            if digits and number.phone_number.lstrip("+") in (digits, "1" + digits):
                return self.extensions.get(number.extension_id or "")
        return None

    def numbers_of(self, extension_id: str) -> list[PhoneNumber]:
        return [n for n in self.phone_numbers if n.extension_id == extension_id]

    def number(self, e164: str) -> PhoneNumber | None:
        return next((n for n in self.phone_numbers if n.phone_number == e164), None)
