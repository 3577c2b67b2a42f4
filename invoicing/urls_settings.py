"""Settings → Finance pages, mounted under /settings/finance/."""

from django.urls import path

from torqueflow.numbers import register_id_converter

from .views import nominal_codes

register_id_converter()

urlpatterns = [
    path("nominal-codes/", nominal_codes.nominal_code_list, name="settings_nominal_codes"),
    path("nominal-codes/new/", nominal_codes.nominal_code_form, name="settings_nominal_code_new"),
    path(
        "nominal-codes/<id:pk>/edit/",
        nominal_codes.nominal_code_form,
        name="settings_nominal_code_edit",
    ),
]
