"""Request types for views."""

from django.http import HttpRequest

from crm.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """The request a `@login_required` view receives: its user is signed in. For type checks
    only; Django builds plain HttpRequests."""

    user: User
