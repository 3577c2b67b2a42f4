"""The Xero tab's own form: choose the account payments go to. Thin: check, call the
service, say what happened, back to the Xero tab (a plain form post; no JS needed)."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from accounts.capabilities import INTEGRATIONS_MANAGE
from accounts.permissions import capability_required
from integrations.errors import IntegrationError
from integrations.models import Connection

from . import payments_out
from .inbound import PROVIDER_KEY
from .settings_page import accounts_read

logger = logging.getLogger(__name__)

# The same gate and wording as the toggles beside it (integrations.views).
PERMISSION_MESSAGE = "You do not have permission to manage integrations"
NOT_CONNECTED = "Connect Xero before choosing the account payments go to."
NOT_PAYABLE = "Choose an account that takes payments."


def _xero_tab():
    return redirect(
        reverse("integrations:provider", args=[PROVIDER_KEY]) + "#xero-payments-account"
    )


@capability_required(INTEGRATIONS_MANAGE, message=PERMISSION_MESSAGE, redirect_to="settings_index")
@require_POST
def payments_account(request):
    connection = Connection.objects.filter(
        organisation=request.organisation,
        provider=PROVIDER_KEY,
        state=Connection.State.ACTIVE,
    ).first()
    if connection is None:
        messages.error(request, NOT_CONNECTED)
        return _xero_tab()
    account_id = (request.POST.get("account") or "").strip()
    if not account_id:
        messages.error(request, NOT_PAYABLE)
        return _xero_tab()
    try:
        accounts = accounts_read(connection)
    except IntegrationError as error:
        logger.info("Reading Xero's accounts failed: %s", error)
        messages.error(request, f"Xero's accounts could not be read just now ({error}). Try again.")
        return _xero_tab()
    account = next((a for a in accounts if a.account_id == account_id), None)
    if account is None:
        messages.error(request, NOT_PAYABLE)
        return _xero_tab()
    try:
        payments_out.payments_account_set(
            connection=connection, account=account, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return _xero_tab()
    messages.success(request, f"Payments will go to {payments_out.account_label(account)} in Xero.")
    return _xero_tab()
