from django.apps import AppConfig


class StripeConnectConfig(AppConfig):
    name = "stripe_connect"
    verbose_name = "Stripe Connect"

    def ready(self) -> None:
        from integrations import registry
        from invoicing import extensions

        from .panel import invoice_panel_context
        from .provider import StripeConnectProvider

        registry.register(StripeConnectProvider())
        extensions.register_detail_panel(
            "stripe_connect/_invoice_panel.html", invoice_panel_context
        )
