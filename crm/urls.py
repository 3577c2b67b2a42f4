from django.urls import path  # noqa: F401

from torqueflow.numbers import register_id_converter

register_id_converter()

app_name = "crm"

urlpatterns: list = []
