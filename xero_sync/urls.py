from django.urls import path

from . import views

app_name = "xero_sync"

urlpatterns = [
    path("payments-account/", views.payments_account, name="payments_account"),
]
