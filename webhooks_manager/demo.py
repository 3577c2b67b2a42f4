"""The demo's webhook: one endpoint on the sandbox's request bin, which checks its
signatures. Only with the sandbox on; a second run changes nothing."""

from django.conf import settings
from django.core.exceptions import ValidationError

from accounts.capabilities import OWNER
from crm import events

from .models import Endpoint
from .services.endpoints import EndpointInput, endpoint_create

BIN = "demo"


def demo_seed(organisation, users) -> None:
    if not settings.SANDBOX_ENABLED:
        return
    from sandbox.core.requestbin import bin_configure

    url = f"{settings.SANDBOX_BASE_URL}/sandbox/requestbin/{BIN}/in/"
    endpoint = Endpoint.objects.for_org(organisation).filter(url=url).first()
    if endpoint is None:
        try:
            endpoint = endpoint_create(
                organisation=organisation,
                actor=users.get(OWNER),
                data=EndpointInput(
                    url=url,
                    description="Sandbox request bin",
                    events=(
                        events.LEAD_CREATED,
                        events.QUOTE_ACCEPTED,
                        events.INVOICE_PAID,
                        events.APPOINTMENT_BOOKED,
                    ),
                ),
            )
        except ValidationError:
            # The sandbox's plain-http address is refused outside DEBUG (or without
            # WEBHOOKS_ALLOW_PRIVATE): the demo goes without its endpoint then.
            return
    bin_configure(BIN, secret=endpoint.secret)
