from django.apps import AppConfig


class TwilioSmsConfig(AppConfig):
    name = "twilio_sms"
    verbose_name = "Twilio SMS"

    def ready(self) -> None:
        from crm.customer_page import customer_section_register
        from integrations import registry
        from invoicing import extensions

        from .panel import REMINDER_SECTION, invoice_panel_context
        from .provider import TwilioSmsProvider

        registry.register(TwilioSmsProvider())
        extensions.register_detail_panel("twilio_sms/_invoice_panel.html", invoice_panel_context)
        customer_section_register(REMINDER_SECTION)
