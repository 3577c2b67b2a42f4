from django import forms

from sandbox.models import GhlLocation


class LocationSettingsForm(forms.ModelForm):
    class Meta:
        model = GhlLocation
        fields = ["allow_duplicate_contact", "duplicate_priority"]
        labels = {
            "allow_duplicate_contact": "Allow duplicate contacts",
            "duplicate_priority": "Duplicate check",
        }
