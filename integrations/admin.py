from django.contrib import admin, messages

from .models import Connection, SyncActivity, SyncRecord, WebhookEvent
from .services.webhooks import WebhookQueueDown, webhook_requeue


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin):
    list_display = ["organisation", "provider", "state", "remote_account_name", "last_sync_at"]
    list_filter = ["provider", "state"]
    # Tokens are never shown, not even encrypted.
    exclude = ["access_token", "refresh_token"]
    readonly_fields = ["token_expires_at", "last_refreshed_at", "connected_at", "connected_by"]


@admin.register(SyncRecord)
class SyncRecordAdmin(admin.ModelAdmin):
    list_display = ["connection", "object_type", "object_id", "state", "reason_code", "attempts"]
    list_filter = ["state", "reason_code", "connection__provider"]
    search_fields = ["external_id", "reason_text"]


@admin.register(SyncActivity)
class SyncActivityAdmin(admin.ModelAdmin):
    list_display = ["at", "organisation", "connection", "action", "subject", "result"]
    list_filter = ["result", "action"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(admin.ModelAdmin):
    list_display = ["received_at", "provider", "event_key", "state", "attempts", "organisation"]
    list_filter = ["provider", "state"]
    search_fields = ["event_key"]
    readonly_fields = ["received_at", "queued_at", "processed_at", "error", "received_body"]
    actions = ["retry_apply"]

    @admin.display(description="Body as received")
    def received_body(self, event: WebhookEvent) -> str:
        return bytes(event.body).decode("utf-8", "backslashreplace")

    @admin.action(description="Apply the selected events again")
    def retry_apply(self, request, queryset):
        count = 0
        for event_id in queryset.exclude(state=WebhookEvent.State.APPLIED).values_list(
            "pk", flat=True
        ):
            try:
                webhook_requeue(event_id=event_id)
            except WebhookQueueDown:
                self.message_user(
                    request,
                    f"{count} event(s) queued again; the queue is unreachable, so the rest "
                    "will be queued by the sweeper once it is back.",
                    messages.WARNING,
                )
                return
            count += 1
        self.message_user(request, f"{count} event(s) queued again.", messages.SUCCESS)
