from django.apps import AppConfig


class GhlConfig(AppConfig):
    name = "ghl"
    verbose_name = "GoHighLevel"

    def ready(self) -> None:
        from integrations import registry
        from invoicing import extensions

        from .invoice_lists import push_bulk_actions
        from .panel import invoice_panel_context
        from .provider import GhlProvider

        registry.register(GhlProvider())
        extensions.register_detail_panel("ghl/_invoice_panel.html", invoice_panel_context)
        extensions.register_bulk_actions(push_bulk_actions)
