from django.contrib import admin

from .models import Appointment


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin):
    """Read-mostly: bookings change through the pages, so clashes and events are handled."""

    list_display = ["title", "start", "end", "staff", "customer", "status", "organisation"]
    list_filter = ["organisation", "status", "location_type"]
    search_fields = ["title", "customer__name"]
    raw_id_fields = ["customer", "contact", "staff", "created_by"]
    readonly_fields = ["start", "end", "status", "cancel_reason", "cancelled_at", "created_at"]
