"""`/webhooks/<provider>/`: verify on the raw body, store, answer fast; a task applies it.

In production these requests skip the middleware (torqueflow/webhook_path.py): the view
relies on nothing middleware sets, and answers every outcome itself with a bare status."""

import logging

from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from torqueflow.numbers import plain_int

from . import registry
from .services.webhooks import WebhookQueueDown, webhook_store

logger = logging.getLogger(__name__)


class BareResponse(HttpResponse):
    """A webhook answer: a status and nothing else. Providers may require no body and no
    cookies (Xero does), so no middleware can add one: a stale session or CSRF cookie sent
    with the request would otherwise be deleted or refreshed with a Set-Cookie."""

    def __init__(self, status: int):
        super().__init__(b"", status=status)

    def set_cookie(self, *args, **kwargs) -> None:
        return None

    def delete_cookie(self, *args, **kwargs) -> None:
        return None


@csrf_exempt
@require_POST
def webhook_receive(request, provider_key: str):
    provider = registry.get(provider_key)
    if provider is None:
        return BareResponse(404)
    length = plain_int(request.META.get("CONTENT_LENGTH") or "0")
    if length is None:
        return BareResponse(400)
    if length > settings.WEBHOOK_MAX_BYTES:
        return BareResponse(413)
    body = request.body
    if len(body) > settings.WEBHOOK_MAX_BYTES:
        return BareResponse(413)
    if not provider.verify_webhook(request=request, body=body):
        return BareResponse(401)
    try:
        events = provider.webhook_events(request=request, body=body)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
        # Whatever a caller sends is never a 500: a body we cannot read is malformed.
        return BareResponse(400)
    try:
        webhook_store(provider=provider, events=events, body=body)
    except (DataError, IntegrityError):
        # A value the database refuses will be refused on every redelivery too: asking the
        # provider to send it again would only repeat this, so it is logged and refused.
        logger.exception("Could not store %s webhook: the database refused it", provider.key)
        return BareResponse(400)
    except DatabaseError:
        logger.exception("Could not store %s webhook", provider.key)
        return BareResponse(provider.store_failure_status)
    except WebhookQueueDown:
        # Stored, but not queued: the provider's redelivery queues it (or the sweeper does).
        return BareResponse(provider.store_failure_status)
    return provider.webhook_answer() or BareResponse(200)
