from django.urls import path

from torqueflow.numbers import register_id_converter

from .views import contracts, customers, leads, messages, projects, quotes

register_id_converter()

app_name = "crm"

urlpatterns = [
    path("customers/<id:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<id:pk>/contacts/new/", customers.contact_new, name="contact_new"),
    path(
        "customers/<id:pk>/contacts/<id:contact_pk>/edit/",
        customers.contact_edit,
        name="contact_edit",
    ),
    path(
        "customers/<id:pk>/contacts/<id:contact_pk>/primary/",
        customers.contact_primary,
        name="contact_primary",
    ),
    path(
        "customers/<id:pk>/contacts/<id:contact_pk>/remove/",
        customers.contact_remove,
        name="contact_remove",
    ),
    path("leads/", leads.lead_list, name="lead_list"),
    path("leads/export.csv", leads.lead_export, name="leads_export"),
    path("leads/bulk/", leads.lead_bulk, name="leads_bulk"),
    path("leads/new/", leads.lead_new, name="lead_new"),
    path("leads/<id:pk>/", leads.lead_detail, name="lead_detail"),
    path("leads/<id:pk>/edit/", leads.lead_edit, name="lead_edit"),
    path("leads/<id:pk>/status/", leads.lead_status, name="lead_status"),
    path("leads/<id:pk>/convert/", leads.lead_convert_view, name="lead_convert"),
    path("quotes/", quotes.quote_list, name="quote_list"),
    path("quotes/export.csv", quotes.quote_export, name="quotes_export"),
    path("quotes/bulk/", quotes.quote_bulk, name="quotes_bulk"),
    path("quotes/new/", quotes.quote_new, name="quote_new"),
    path("quotes/line-form/", quotes.quote_line_form, name="quote_line_form"),
    path("quotes/line-removed/", quotes.quote_line_removed, name="quote_line_removed"),
    path("quotes/<id:pk>/", quotes.quote_detail, name="quote_detail"),
    path("quotes/<id:pk>/edit/", quotes.quote_edit, name="quote_edit"),
    path("quotes/<id:pk>/send/", quotes.quote_send, name="quote_send"),
    path("quotes/<id:pk>/accept/", quotes.quote_accept, name="quote_accept"),
    path("quotes/<id:pk>/decline/", quotes.quote_decline, name="quote_decline"),
    path("quotes/<id:pk>/convert/", quotes.quote_convert_view, name="quote_convert"),
    path("projects/", projects.project_list, name="project_list"),
    path("projects/export.csv", projects.project_export, name="projects_export"),
    path("projects/bulk/", projects.project_bulk, name="projects_bulk"),
    path("projects/new/", projects.project_form, name="project_new"),
    path("projects/<id:pk>/", projects.project_detail, name="project_detail"),
    path("projects/<id:pk>/edit/", projects.project_form, name="project_edit"),
    path("projects/<id:pk>/invoices/", projects.project_invoice_add, name="project_invoice_add"),
    path(
        "projects/<id:pk>/invoices/<id:invoice_pk>/unlink/",
        projects.project_invoice_remove,
        name="project_invoice_remove",
    ),
    path("contracts/", contracts.contract_list, name="contract_list"),
    path("contracts/export.csv", contracts.contract_export, name="contracts_export"),
    path("contracts/bulk/", contracts.contract_bulk, name="contracts_bulk"),
    path("contracts/new/", contracts.contract_form, name="contract_new"),
    path("contracts/<id:pk>/", contracts.contract_detail, name="contract_detail"),
    path("contracts/<id:pk>/edit/", contracts.contract_form, name="contract_edit"),
    path("contracts/<id:pk>/document/", contracts.contract_document, name="contract_document"),
    path("contracts/<id:pk>/send/", contracts.contract_send, name="contract_send"),
    path("contracts/<id:pk>/sign/", contracts.contract_sign, name="contract_sign"),
    path("messages/", messages.thread_list, name="thread_list"),
    path("messages/<id:customer_pk>/", messages.thread_detail, name="thread_detail"),
]
