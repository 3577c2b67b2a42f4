"""What the emulated providers' models share."""

from decimal import Decimal

from django.db import models

ZERO = Decimal("0.00")


def money_field(**kwargs) -> models.DecimalField:
    return models.DecimalField(max_digits=14, decimal_places=2, default=ZERO, **kwargs)
