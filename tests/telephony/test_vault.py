import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection as db

from telephony import crypto
from telephony.apps import check_token_keys
from telephony.models import RingCentralConnection
from telephony.ringcentral.errors import ProviderError
from telephony.ringcentral.types import TokenSet
from telephony.tokens import (
    ConnectionNeedsSignIn,
    NoAccountConnection,
    access_token_get,
    account_connection_get,
    connection_designate_account,
)
from tests.factories import agent
from tests.telephony.vault import ACCESS, REFRESH, stored_connection

pytestmark = pytest.mark.django_db

# Nothing listens here: a test that reaches RingCentral fails loudly.
UNREACHABLE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def _no_ringcentral(settings):
    settings.RINGCENTRAL_SERVER = UNREACHABLE


def raw_rows() -> list[str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT t::text FROM telephony_ringcentralconnection t")
        return [row[0] for row in cursor.fetchall()]


def test_raw_select_shows_no_token_text():
    # given a stored connection
    stored_connection(agent())
    # when the table is read with plain SQL
    rows = raw_rows()
    # then neither token, nor any recognisable part of one, is in it
    assert len(rows) == 1
    for secret in (ACCESS, REFRESH, ACCESS[:16], REFRESH[-12:]):
        assert secret not in rows[0]
    stored = RingCentralConnection.objects.get()
    assert stored.access_token_ciphertext.startswith("gAAAA")  # Fernet
    assert stored.refresh_token_ciphertext.startswith("gAAAA")


def test_stored_token_is_served_without_asking_ringcentral_while_fresh():
    connection = stored_connection(agent())
    assert access_token_get(connection_id=connection.pk) == ACCESS


def test_rotation_reencrypts_under_the_new_key_so_the_old_key_can_go(settings):
    # given tokens stored under the old key
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    connection = stored_connection(agent())
    before = raw_rows()[0]
    # when the new key is put first and the command runs
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_token_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # then the stored ciphertext changed and the new key alone reads both tokens
    assert raw_rows()[0] != before
    settings.TOKEN_ENCRYPTION_KEYS = [new]
    connection.refresh_from_db()
    assert crypto.decrypt(connection.access_token_ciphertext) == ACCESS
    assert crypto.decrypt(connection.refresh_token_ciphertext) == REFRESH
    assert access_token_get(connection_id=connection.pk) == ACCESS


def test_new_key_first_still_reads_tokens_before_rotation(settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [old]
    connection = stored_connection(agent())
    settings.TOKEN_ENCRYPTION_KEYS = [new, old]
    assert access_token_get(connection_id=connection.pk) == ACCESS


def test_rotation_names_rows_no_key_decrypts_and_leaves_them(settings):
    # given a connection stored under a key that is no longer configured
    lost, current = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [lost]
    connection = stored_connection(agent())
    before = raw_rows()[0]
    settings.TOKEN_ENCRYPTION_KEYS = [current]
    # when the command runs, then it fails naming the row, and the row is unchanged
    with pytest.raises(CommandError, match=rf"connection\(s\) {connection.pk};"):
        call_command("rotate_token_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert raw_rows()[0] == before


def test_token_no_key_decrypts_marks_the_connection_needs_reauth(settings):
    lost = Fernet.generate_key().decode()
    settings.TOKEN_ENCRYPTION_KEYS = [lost]
    connection = stored_connection(agent())
    settings.TOKEN_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ConnectionNeedsSignIn):
        access_token_get(connection_id=connection.pk)
    connection.refresh_from_db()
    assert connection.status == RingCentralConnection.Status.NEEDS_REAUTH
    assert connection.status_detail == (
        "Stored tokens cannot be decrypted (was their encryption key removed?)"
    )


def test_malformed_encryption_key_fails_the_system_check(settings):
    settings.TOKEN_ENCRYPTION_KEYS = ["not-a-fernet-key"]
    errors = check_token_keys(None)
    assert [e.id for e in errors] == ["telephony.E001"]
    assert "TOKEN_ENCRYPTION_KEYS key #1 is not a Fernet key" in errors[0].msg


def test_no_account_connection_without_designation_or_jwt(settings):
    settings.RINGCENTRAL_JWT = ""
    stored_connection(agent())
    with pytest.raises(NoAccountConnection, match="designate one in Django admin"):
        account_connection_get()


def test_designating_an_account_connection_moves_the_flag():
    first = stored_connection(agent())
    second = stored_connection(agent())
    connection_designate_account(connection_id=first.pk)
    connection_designate_account(connection_id=second.pk)
    assert list(
        RingCentralConnection.objects.filter(is_account_connection=True).values_list(
            "pk", flat=True
        )
    ) == [second.pk]
    assert account_connection_get() == second


def token_json(**lifetimes) -> dict:
    return {"access_token": ACCESS, "refresh_token": REFRESH, "token_type": "bearer", **lifetimes}


@pytest.mark.parametrize(
    "lifetimes",
    [
        {},
        {"expires_in": 0},
        {"expires_in": -5},
        {"expires_in": 10**12},
        {"expires_in": 3600, "refresh_token_expires_in": 10**15},
        {"expires_in": 3600, "refresh_token_expires_in": -1},
    ],
    ids=["missing", "zero", "negative", "huge", "huge-refresh", "negative-refresh"],
)
def test_a_token_answer_with_an_impossible_lifetime_is_a_provider_error(lifetimes):
    # A missing or zero lifetime would make every use refresh again; a huge one cannot be
    # stored as a date. Either is RingCentral misbehaving, not something to save.
    with pytest.raises(ProviderError, match="lifetime"):
        TokenSet.from_json(token_json(**lifetimes))


def test_a_token_answer_with_usual_lifetimes_is_read():
    tokens = TokenSet.from_json(token_json(expires_in=3600, refresh_token_expires_in=604800))
    assert (tokens.expires_in, tokens.refresh_token_expires_in) == (3600, 604800)
    assert TokenSet.from_json(token_json(expires_in="7199")).refresh_token_expires_in is None
