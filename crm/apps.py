from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from . import customer_sections, receivers  # noqa: F401

        customer_sections.register()

    def demo_seed(self, organisation, users) -> None:
        from . import demo_work

        demo_work.seed(organisation, users)
