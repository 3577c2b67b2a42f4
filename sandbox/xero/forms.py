from decimal import Decimal

from django import forms

from sandbox.models import XeroFaults


class FaultsForm(forms.ModelForm):
    class Meta:
        model = XeroFaults
        fields = [
            "latency_ms",
            "error_rate",
            "timeout_rate",
            "timeout_seconds",
            "rate_limit_scale",
            "minute_limit",
            "day_limit",
            "concurrent_limit",
            "drop_webhooks",
            "webhooks_for_api_changes",
        ]
        labels = {
            "latency_ms": "Latency (ms)",
            "error_rate": "Error rate (0 to 1)",
            "timeout_rate": "Timeout rate (0 to 1)",
            "timeout_seconds": "Timeout holds the answer for (s)",
            "rate_limit_scale": "Rate-limit minute lasts (s)",
            "minute_limit": "Calls per minute",
            "day_limit": "Calls per day",
            "concurrent_limit": "Concurrent calls",
            "drop_webhooks": "Drop webhooks (0 to 1)",
            "webhooks_for_api_changes": "Also send webhooks for changes made through the API",
        }
        help_texts = {
            "error_rate": "Answers 500 or 503 before doing anything.",
            "timeout_rate": "Does the work, commits, then holds the answer past the timeout.",
            "rate_limit_scale": "60 is real time; 6 makes a 'minute' last 6 seconds.",
        }

    def _rate(self, name: str) -> float:
        value = self.cleaned_data[name]
        if not 0 <= value <= 1:
            raise forms.ValidationError("Between 0 and 1.")
        return value

    def clean_error_rate(self) -> float:
        return self._rate("error_rate")

    def clean_timeout_rate(self) -> float:
        return self._rate("timeout_rate")

    def clean_drop_webhooks(self) -> float:
        return self._rate("drop_webhooks")

    def clean_rate_limit_scale(self) -> float:
        value = self.cleaned_data["rate_limit_scale"]
        if value <= 0:
            raise forms.ValidationError("More than 0 seconds.")
        return value

    def clean_timeout_seconds(self) -> float:
        value = self.cleaned_data["timeout_seconds"]
        if not 0 <= value <= 600:
            raise forms.ValidationError("Between 0 and 600 seconds.")
        return value


class PayForm(forms.Form):
    """An empty amount pays in full."""

    amount = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )
