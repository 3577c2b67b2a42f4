from django.urls import path

from torqueflow.numbers import register_id_converter

from . import views

register_id_converter()

app_name = "ghl"

urlpatterns = [
    path("invoices/<id:pk>/panel/", views.panel, name="panel"),
    path("invoices/<id:pk>/send-payment-link/", views.send_link, name="send_link"),
    path("invoices/<id:pk>/payment-link/", views.payment_link, name="payment_link"),
    path("push/", views.push_list, name="push_list"),
    path("push/many/", views.push_many, name="push_many"),
    path("payment-links/<id:pk>/", views.link_run, name="link_run"),
]
