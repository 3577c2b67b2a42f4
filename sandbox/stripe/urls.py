"""Stripe's own routes under /sandbox/stripe/: the API (/v1/…), the hosted onboarding an
Account Link opens, the Express Dashboard a login link opens, the hosted payment page of a
Checkout Session, and the Refund button. The rest is the core's."""

from django.urls import path, re_path

from . import api, dashboard, onboarding, pay

urlpatterns = [
    re_path(r"^stripe/v1/(?P<path>.*)$", api.gateway, name="stripe_api"),
    path(
        "stripe/connect/onboarding/<str:token>/",
        onboarding.onboarding_page,
        name="stripe_onboarding",
    ),
    path("stripe/connect/login/<str:token>/", dashboard.login, name="stripe_login"),
    path("stripe/dashboard/<str:account_id>/", dashboard.dashboard, name="stripe_dashboard"),
    path("stripe/pay/<str:session_id>/", pay.payment_page, name="stripe_pay"),
    path("stripe/charges/<str:charge_id>/refund/", dashboard.refund, name="stripe_refund"),
]
