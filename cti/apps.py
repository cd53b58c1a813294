from django.apps import AppConfig


class CtiConfig(AppConfig):
    name = "cti"
    verbose_name = "Live calls"

    def ready(self) -> None:
        from cti import checks  # noqa: F401 - registers the system checks
        from cti.events import publish_ringcentral_needs_sign_in
        from telephony.notifications import install_needs_reauth_notifier

        install_needs_reauth_notifier(publish_ringcentral_needs_sign_in)
