from django.urls import path

from torqueflow.numbers import register_id_converter

from .views import contracts, messages, projects

register_id_converter()

app_name = "crm"

urlpatterns = [
    path("projects/", projects.project_list, name="project_list"),
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
    path("contracts/new/", contracts.contract_form, name="contract_new"),
    path("contracts/<id:pk>/", contracts.contract_detail, name="contract_detail"),
    path("contracts/<id:pk>/edit/", contracts.contract_form, name="contract_edit"),
    path("contracts/<id:pk>/document/", contracts.contract_document, name="contract_document"),
    path("contracts/<id:pk>/send/", contracts.contract_send, name="contract_send"),
    path("contracts/<id:pk>/sign/", contracts.contract_sign, name="contract_sign"),
    path("messages/", messages.thread_list, name="thread_list"),
    path("messages/<id:customer_pk>/", messages.thread_detail, name="thread_detail"),
]
