"""How telephony tells a person that their RingCentral connection needs them.

Telephony must not import `cti` (dependencies run cti → telephony → crm), yet the live socket
belongs to `cti`. So `cti` installs the notifier at start-up (`CtiConfig.ready`) and telephony
calls it explicitly where the state changes. With none installed the change is only logged.
"""

import logging
from collections.abc import Callable

logger = logging.getLogger(__name__)

NeedsReauthNotifier = Callable[[int], None]

_needs_reauth: NeedsReauthNotifier | None = None


def install_needs_reauth_notifier(notifier: NeedsReauthNotifier) -> None:
    global _needs_reauth
    _needs_reauth = notifier


def connection_needs_reauth(*, user_id: int) -> None:
    """Tell user `user_id` to sign in again. Call it inside the transaction that marked their
    connection; the notifier delivers after commit."""
    if _needs_reauth is None:
        logger.info("user %s must sign in to RingCentral again (no live notifier)", user_id)
        return
    _needs_reauth(user_id)
