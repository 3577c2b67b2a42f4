"""An endpoint Torqueflow turned off by itself (410 Gone, or three days of failures): the
Owners are told by email."""

from accounts.capabilities import OWNER
from accounts.models import Membership
from invoicing.services.audit import audit_record
from notifications.services import email_send

from ..models import Endpoint


def endpoint_auto_disable(*, endpoint: Endpoint, reason: str) -> None:
    """Called under the endpoint's row lock, inside the attempt's transaction."""
    endpoint.enabled, endpoint.disabled_reason = False, reason
    endpoint.paused_until = None
    endpoint.save(update_fields=["enabled", "disabled_reason", "paused_until"])
    audit_record(
        organisation=endpoint.organisation,
        actor=None,
        action="webhook.endpoint.disabled",
        obj=endpoint,
        details={"reason": reason},
    )
    owners = Membership.objects.filter(
        organisation_id=endpoint.organisation_id, role__key=OWNER
    ).select_related("user", "organisation")
    for membership in owners:
        email_send(
            to=membership.user.email,
            template="webhook_endpoint_disabled",
            context={
                "organisation": membership.organisation,
                "endpoint": endpoint,
                "reason": reason,
            },
            organisation=membership.organisation,
        )
