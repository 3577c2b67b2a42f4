from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"
    verbose_name = "Integrations"

    def ready(self) -> None:
        from invoicing import extensions

        from . import receivers  # noqa: F401
        from .account_codes import account_code_columns, account_codes_save
        from .invoice_lists import sync_bulk_actions, sync_filter_apply, sync_filter_choices
        from .invoice_sync import invoice_badges, sync_panel_context

        extensions.register_badge_source(invoice_badges)
        extensions.register_detail_panel(
            "integrations/_invoice_sync_panel.html", sync_panel_context
        )
        extensions.register_account_codes(account_code_columns, account_codes_save)
        extensions.register_list_filter(sync_filter_choices, sync_filter_apply)
        extensions.register_bulk_actions(sync_bulk_actions)
