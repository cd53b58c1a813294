from typing import Any

from django.core.management.base import BaseCommand, CommandError

from telephony.tokens import connection_reencrypt_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored RingCentral token under the newest TOKEN_ENCRYPTION_KEYS key. "
        "Put the new key first, run this, then remove the old key."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        done, undecryptable = connection_reencrypt_all()
        self.stdout.write(f"Re-encrypted {done} connection(s) under the newest key.")
        if undecryptable:
            ids = ", ".join(str(pk) for pk in undecryptable)
            raise CommandError(
                f"No configured key decrypts connection(s) {ids}; left unchanged. Their "
                "owners must sign in again (or restore the key that encrypted them)."
            )
