import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "torqueflow.settings")

app = Celery("torqueflow")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def schedule_provider_jobs(sender: Celery, **kwargs) -> None:
    """Beat runs each provider's declared periodic jobs beside the hub's own (settings)."""
    from integrations.registry import beat_schedule

    sender.conf.beat_schedule = {**sender.conf.beat_schedule, **beat_schedule()}
