"""Building blocks for vault tests: a connection stored the way a sign-in stores one."""

from telephony.models import RingCentralConnection
from telephony.ringcentral.types import Extension, TokenSet
from telephony.tokens import connection_save_sign_in

ACCESS = "U1BCMDFUMDRKV1MwMXxzLFSvXdw5PHMsVLEn-access"
REFRESH = "U1BCMDFUMDRKV1MwMXxzLFL4ec6A0XMsUv9wL-refresh"


def extension(ext_id: int = 62100101, number: str = "101", email: str = "ann@example.com"):
    return Extension(
        id=ext_id,
        extension_number=number,
        name="Ann Agent",
        first_name="Ann",
        last_name="Agent",
        email=email,
        type="User",
        status="Enabled",
        account_id="37439510",
    )


def token_set(access: str = ACCESS, refresh: str = REFRESH, expires_in: int = 3600) -> TokenSet:
    return TokenSet(
        access_token=access,
        expires_in=expires_in,
        refresh_token=refresh,
        refresh_token_expires_in=604800,
        scope="ReadAccounts ReadPresence",
        owner_id="62100101",
        session_id="sess-1",
    )


def stored_connection(user, **tokens) -> RingCentralConnection:
    return connection_save_sign_in(user=user, tokens=token_set(**tokens), extension=extension())
