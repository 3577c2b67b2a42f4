from celery import shared_task

MAX_RETRIES = 5


@shared_task(bind=True, max_retries=MAX_RETRIES, acks_late=True, ignore_result=True)
def email_deliver_task(self, email_id: int) -> None:
    from .services import EmailSendRetry, email_deliver

    try:
        email_deliver(email_id=email_id, final_attempt=self.request.retries >= MAX_RETRIES)
    except EmailSendRetry as error:
        raise self.retry(exc=error, countdown=min(600, 30 * 2**self.request.retries)) from error
