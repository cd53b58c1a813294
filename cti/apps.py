from django.apps import AppConfig


class CtiConfig(AppConfig):
    name = "cti"
    verbose_name = "Live calls"
