from django.apps import AppConfig


class WebhooksManagerConfig(AppConfig):
    name = "webhooks_manager"
    verbose_name = "Webhooks Manager"

    def ready(self) -> None:
        from integrations import registry

        from . import receivers  # noqa: F401
        from .provider import WebhooksProvider

        registry.register(WebhooksProvider())

    def demo_seed(self, organisation, users) -> None:
        from .demo import demo_seed

        demo_seed(organisation, users)
