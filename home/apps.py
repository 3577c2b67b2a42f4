from django.apps import AppConfig


class HomeConfig(AppConfig):
    """The organisation's home page: figures read from invoicing, the CRM, scheduling and the
    integrations hub (it depends on them all, and nothing depends on it)."""

    name = "home"
    verbose_name = "Home"
