import os
from dataclasses import replace

from django.apps import AppConfig

TASK_COUNTS_KEY = "bench:tasks-run"


class BenchConfig(AppConfig):
    """Bench-only overrides of the Xero provider, read from the environment in every process
    (web and workers) that loads bench.settings:

    BENCH_XERO_MINUTE_SECONDS  the length of the rate limit's minute, to match the sandbox's
                               scaled clock (its rate_limit_scale knob)
    BENCH_XERO_BATCH_SIZE      invoices per call; 1 turns batching off
    BENCH_COUNT_TASKS          1: every task a worker runs adds one to its name's field of
                               the Redis hash TASK_COUNTS_KEY (Celery's task_prerun signal)
    """

    name = "bench"

    def ready(self) -> None:
        from integrations import registry

        xero = registry.get("xero")
        minute = os.environ.get("BENCH_XERO_MINUTE_SECONDS")
        if xero is not None and minute and xero.rate_limit is not None:
            scale = float(minute) / 60
            limit = xero.rate_limit
            xero.rate_limit = replace(limit, period_seconds=limit.period_seconds * scale)
        batch = os.environ.get("BENCH_XERO_BATCH_SIZE")
        if xero is not None and batch:
            xero.batch_size = int(batch)
        if os.environ.get("BENCH_COUNT_TASKS", "") not in ("", "0"):
            from celery.signals import task_prerun

            task_prerun.connect(_count_task, weak=False, dispatch_uid="bench_count_tasks")


_redis: dict[int, object] = {}  # one client per process: pool children fork after ready()


def _count_task(sender=None, **kwargs) -> None:
    import redis

    client = _redis.get(os.getpid())
    if client is None:
        client = _redis[os.getpid()] = redis.Redis.from_url(os.environ["REDIS_URL"])
    client.hincrby(TASK_COUNTS_KEY, getattr(sender, "name", str(sender)), 1)
