from django.apps import AppConfig


class XeroSyncConfig(AppConfig):
    name = "xero_sync"
    verbose_name = "Xero"

    def ready(self) -> None:
        from integrations import registry

        from .provider import XeroProvider

        registry.register(XeroProvider())
