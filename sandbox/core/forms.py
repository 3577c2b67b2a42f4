"""The control page's forms: a provider's fault knobs and limits, and a payment's amount."""

from decimal import Decimal

from django import forms

from sandbox.models import Faults

from .registry import get


class FaultsForm(forms.ModelForm):
    """The knobs, and the limits the provider has (its window named as it names it), within
    the model's bounds. A post may name only the knobs it changes; a checkbox left out is
    off, as browsers send it."""

    class Meta:
        model = Faults
        fields = [
            "latency_ms",
            "error_rate",
            "timeout_rate",
            "timeout_seconds",
            "rate_limit_scale",
            "window_limit",
            "day_limit",
            "concurrent_limit",
            "drop_webhooks",
            "failure_rate",
            "webhooks_for_api_changes",
        ]
        labels = {
            "latency_ms": "Latency (ms)",
            "error_rate": "Error rate (0 to 1)",
            "timeout_rate": "Timeout rate (0 to 1)",
            "timeout_seconds": "Timeout holds the answer for (s)",
            "rate_limit_scale": "Rate-limit minute lasts (s)",
            "day_limit": "Calls per day",
            "concurrent_limit": "Concurrent calls",
            "drop_webhooks": "Drop webhooks (0 to 1)",
            "webhooks_for_api_changes": "Also send webhooks for changes made through the API",
        }
        help_texts = {
            "error_rate": "Answers a 5xx before doing anything.",
            "timeout_rate": "Does the work, commits, then holds the answer past the timeout.",
            "rate_limit_scale": "60 is real time; 6 makes a 'minute' last 6 seconds.",
        }

    def __init__(self, data=None, *, instance: Faults, **kwargs) -> None:
        if data is not None:
            data = data.copy()
            for name, field in self.base_fields.items():
                if name not in data and not isinstance(field, forms.BooleanField):
                    data[name] = getattr(instance, name)
        # Ids unique on the page that shows every provider's form.
        kwargs.setdefault("auto_id", f"{instance.provider}-%s")
        super().__init__(data, instance=instance, **kwargs)
        adapter = get(instance.provider)
        limits = adapter.limits
        window = self.fields["window_limit"]
        window.label = f"Calls per {limits.window_name}"
        window.help_text = (
            f"A {limits.window_name} is {limits.window_seconds} s on the sandbox clock."
        )
        if limits.concurrent is None:
            del self.fields["concurrent_limit"]
        if adapter.failure_rate_label:
            self.fields["failure_rate"].label = adapter.failure_rate_label
        else:
            del self.fields["failure_rate"]
        if not adapter.api_change_webhooks:
            del self.fields["webhooks_for_api_changes"]


class PayForm(forms.Form):
    """An empty amount pays what is due."""

    amount = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
