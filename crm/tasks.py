from celery import shared_task

from crm.services.quotes import quotes_expire_due


@shared_task
def expire_quotes_task() -> int:
    """Daily: sent quotes past their expiry date become Expired."""
    return quotes_expire_due()
