from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
        from .sections import sections_register

        sections_register()

    def demo_seed(self, organisation, users) -> None:
        from .demo import demo_seed

        demo_seed(organisation, users)
