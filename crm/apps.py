from django.apps import AppConfig


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = "CRM"

    def ready(self) -> None:
        from . import customer_sections, receivers  # noqa: F401
        from .sections import sections_register

        sections_register()
        customer_sections.register()

    def demo_seed(self, organisation, users) -> None:
        from . import demo, demo_work

        demo.demo_seed(organisation, users)
        demo_work.seed(organisation, users)
