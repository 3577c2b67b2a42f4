from django.urls import path

from torqueflow.numbers import register_id_converter

from . import views

register_id_converter()

app_name = "stripe_connect"

urlpatterns = [
    path("invoices/<id:pk>/pay-online/", views.pay_online, name="pay_online"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("paid/", views.paid, name="paid"),
]
