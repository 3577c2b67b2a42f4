from django.contrib import admin

from .models import (
    AuditLog,
    Customer,
    Invoice,
    InvoiceLine,
    NominalCode,
    Payment,
    PaymentMethod,
    Supplier,
    WorkOrder,
)


@admin.register(Customer, Supplier)
class PartyAdmin(admin.ModelAdmin):
    list_display = ["name", "company_name", "email", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["name", "company_name", "email"]


@admin.register(NominalCode)
class NominalCodeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "organisation"]
    list_filter = ["organisation"]


@admin.register(WorkOrder)
class WorkOrderAdmin(admin.ModelAdmin):
    list_display = ["title", "customer", "status", "organisation"]
    list_filter = ["organisation", "status"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    can_delete = False
    readonly_fields = [
        "description",
        "quantity",
        "unit_price",
        "tax_rate",
        "nominal_code",
        "line_amount",
        "tax_amount",
    ]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    """Read-only: invoices change through the app's services, which keep totals and audit."""

    list_display = ["number", "kind", "status", "total", "amount_paid", "organisation"]
    list_filter = ["organisation", "kind", "status"]
    search_fields = ["number", "reference"]
    inlines = [InvoiceLineInline]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "amount", "date", "method", "source", "deleted_at"]
    list_filter = ["source", "method__name"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PaymentMethod)
class PaymentMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "is_system", "organisation"]
    list_filter = ["organisation", "is_system"]

    def has_delete_permission(self, request, obj=None):
        # System methods (a provider's, such as "Xero Sync") are part of Torqueflow and stay.
        return obj is None or not obj.is_system

    def has_change_permission(self, request, obj=None):
        return obj is None or not obj.is_system

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ["at", "organisation", "actor", "action", "object_repr"]
    list_filter = ["organisation", "action"]
    search_fields = ["object_repr", "action"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
