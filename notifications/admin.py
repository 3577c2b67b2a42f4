from django.contrib import admin

from .models import Email


@admin.register(Email)
class EmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "to", "subject", "outcome", "attempts", "organisation"]
    list_filter = ["outcome", "template"]
    readonly_fields = [f.name for f in Email._meta.fields]
