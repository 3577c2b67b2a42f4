"""Every business event becomes a message for each endpoint that subscribes to it, in the
transaction that made the event."""

from django.dispatch import receiver

from crm import events

from .services.delivery import event_record


@receiver(events.announced, dispatch_uid="webhooks_manager_event_record")
def event_announced(sender, *, event: str, organisation_id: int, payload: dict, **kwargs) -> None:
    event_record(organisation_id=organisation_id, event=event, payload=payload)
