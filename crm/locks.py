"""Row locks through small named helpers, always taken customer first, then its contacts,
leads or quotes, so two workers never wait on each other in opposite orders."""

from invoicing.models import Customer

from .models import Lead, Quote, QuoteSequence


def customer_lock(*, customer_id: int) -> Customer:
    """Serialises changes to a customer's contacts (which one is primary)."""
    return Customer.objects.select_for_update(of=("self",)).get(pk=customer_id)


def lead_lock(*, lead_id: int) -> Lead:
    return Lead.objects.select_for_update(of=("self",)).get(pk=lead_id)


def quote_lock(*, quote_id: int) -> Quote:
    return Quote.objects.select_for_update(of=("self",)).get(pk=quote_id)


def quote_sequence_lock(*, organisation_id: int) -> QuoteSequence:
    QuoteSequence.objects.get_or_create(organisation_id=organisation_id)
    return QuoteSequence.objects.select_for_update().get(organisation_id=organisation_id)
