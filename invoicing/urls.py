from django.urls import path

from invoicing.models import Invoice
from torqueflow.numbers import register_id_converter

from .views import invoices, parties, payments

register_id_converter()

app_name = "invoicing"

SALES = {"kind": Invoice.Kind.SALES}
PURCHASE = {"kind": Invoice.Kind.PURCHASE}

urlpatterns = [
    path("invoices/", invoices.invoice_list, SALES, name="sales_list"),
    path("invoices/new/", invoices.invoice_new, SALES, name="sales_new"),
    path("invoices/export.csv", invoices.invoice_export, SALES, name="sales_export"),
    path("invoices/bulk/", invoices.invoice_bulk, SALES, name="sales_bulk"),
    path("purchases/", invoices.invoice_list, PURCHASE, name="purchase_list"),
    path("purchases/export.csv", invoices.invoice_export, PURCHASE, name="purchase_export"),
    path("purchases/bulk/", invoices.invoice_bulk, PURCHASE, name="purchase_bulk"),
    path("purchases/new/", invoices.invoice_new, PURCHASE, name="purchase_new"),
    path("invoices/line-form/", invoices.line_form, name="line_form"),
    path("invoices/line-removed/", invoices.line_removed, name="line_removed"),
    path("invoices/<id:pk>/", invoices.invoice_detail, name="invoice_detail"),
    path("invoices/<id:pk>/edit/", invoices.invoice_edit, name="invoice_edit"),
    path("invoices/<id:pk>/finalise/", invoices.invoice_finalise_view, name="invoice_finalise"),
    path("invoices/<id:pk>/void/", invoices.invoice_void_view, name="invoice_void"),
    path("invoices/<id:pk>/discard/", invoices.invoice_discard, name="invoice_discard"),
    path("invoices/<id:pk>/payments/new/", payments.payment_new, name="payment_new"),
    path(
        "invoices/<id:pk>/payments/<id:payment_pk>/delete/",
        payments.payment_remove,
        name="payment_delete",
    ),
    path("customers/", parties.party_list, {"party": "customer"}, name="customer_list"),
    path("customers/new/", parties.party_form, {"party": "customer"}, name="customer_new"),
    path(
        "customers/<id:pk>/edit/", parties.party_form, {"party": "customer"}, name="customer_edit"
    ),
    path(
        "customers/export.csv", parties.party_export, {"party": "customer"}, name="customer_export"
    ),
    path("suppliers/", parties.party_list, {"party": "supplier"}, name="supplier_list"),
    path(
        "suppliers/export.csv", parties.party_export, {"party": "supplier"}, name="supplier_export"
    ),
    path("suppliers/new/", parties.party_form, {"party": "supplier"}, name="supplier_new"),
    path(
        "suppliers/<id:pk>/edit/", parties.party_form, {"party": "supplier"}, name="supplier_edit"
    ),
]
