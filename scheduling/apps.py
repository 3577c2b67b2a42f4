from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from crm.customer_page import customer_section_register

        from .customer_section import APPOINTMENTS_SECTION

        customer_section_register(APPOINTMENTS_SECTION)

    def demo_seed(self, organisation, users) -> None:
        from .demo import appointments_seed

        appointments_seed(organisation=organisation, users=users)
