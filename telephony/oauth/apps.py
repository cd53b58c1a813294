from django.apps import AppConfig


class RingCentralOAuthConfig(AppConfig):
    """The django-allauth provider `ringcentral` (allauth finds providers per installed app)."""

    name = "telephony.oauth"
    label = "ringcentral_oauth"
    verbose_name = "Sign in with RingCentral"
