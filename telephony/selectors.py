"""Reads about RingCentral connections."""

from django.contrib.auth.models import AnonymousUser

from crm.models import User
from telephony.models import RingCentralConnection

Status = RingCentralConnection.Status


def connection_for_user(*, user: User | AnonymousUser) -> RingCentralConnection | None:
    if not user.is_authenticated:
        return None
    return RingCentralConnection.objects.filter(user_id=user.pk).first()


def connection_needs_sign_in(*, user: User | AnonymousUser) -> bool:
    """True when the user has connected RingCentral before and that connection stopped
    working (refused refresh, or signed out elsewhere): they should sign in again."""
    if not user.is_authenticated:
        return False
    return RingCentralConnection.objects.filter(
        user_id=user.pk, status__in=[Status.NEEDS_REAUTH, Status.SIGNED_OUT]
    ).exists()
