"""`python -m tests.faults.worker OPTIONS...`: a real Torqueflow Celery worker (`celery -A
torqueflow worker OPTIONS...`) with the hub's clocks scaled like the fault test that started
it (clock.py). The prefork pool forks its children after the clocks are set, so they run on
the same clock."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "torqueflow.settings")
    import django

    django.setup()

    from tests.faults.clock import hub_clock_patches

    claim = os.environ.get("FAULTS_CLAIM_SECONDS")
    for owner, name, value in hub_clock_patches(claim_seconds=float(claim) if claim else None):
        setattr(owner, name, value)

    from torqueflow.celery import app

    app.worker_main(["worker", *sys.argv[1:]])


if __name__ == "__main__":
    main()
