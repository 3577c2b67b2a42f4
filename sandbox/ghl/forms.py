from decimal import Decimal

from django import forms

from sandbox.models import GhlLimits, GhlLocation


class PayForm(forms.Form):
    """An empty amount pays what is due."""

    amount = forms.DecimalField(
        required=False, min_value=Decimal("0.01"), max_digits=14, decimal_places=2
    )


class LocationSettingsForm(forms.ModelForm):
    class Meta:
        model = GhlLocation
        fields = ["allow_duplicate_contact", "duplicate_priority"]
        labels = {
            "allow_duplicate_contact": "Allow duplicate contacts",
            "duplicate_priority": "Duplicate check",
        }


class LimitsForm(forms.ModelForm):
    class Meta:
        model = GhlLimits
        fields = ["burst_limit", "daily_limit"]
        labels = {"burst_limit": "Calls per 10 s", "daily_limit": "Calls per day"}
        help_texts = {"burst_limit": "Per app and location; GoHighLevel allows 100."}

    def clean_burst_limit(self) -> int:
        return self._positive("burst_limit")

    def clean_daily_limit(self) -> int:
        return self._positive("daily_limit")

    def _positive(self, name: str) -> int:
        value = self.cleaned_data[name]
        if value < 1:
            raise forms.ValidationError("At least 1.")
        return value
