import os
from dataclasses import replace

from django.apps import AppConfig


class BenchConfig(AppConfig):
    """Bench-only overrides of the Xero provider, read from the environment in every process
    (web and workers) that loads bench.settings:

    BENCH_XERO_MINUTE_SECONDS  the length of the rate limit's minute, to match the sandbox's
                               scaled clock (its rate_limit_scale knob)
    BENCH_XERO_BATCH_SIZE      invoices per call; 1 turns batching off
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
