from django import forms

from crm import events

from .models import Endpoint


class EndpointForm(forms.Form):
    url = forms.CharField(
        label="Endpoint URL",
        max_length=500,
        widget=forms.URLInput(
            attrs={"placeholder": "https://hooks.zapier.com/hooks/catch/…", "inputmode": "url"}
        ),
    )
    description = forms.CharField(label="Description", max_length=200, required=False)
    kind = forms.ChoiceField(
        label="Format",
        choices=Endpoint.Kind.choices,
        initial=Endpoint.Kind.STANDARD,
        widget=forms.RadioSelect,
        help_text=(
            "Slack: paste a Slack incoming-webhook URL; messages are not signed, the URL is "
            "the secret."
        ),
    )
    events = forms.MultipleChoiceField(
        label="Events",
        choices=[(name, name) for name in events.EVENTS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )


class InboundHookForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "Website contact form"}),
    )
    signed = forms.BooleanField(
        label="Require a Standard Webhooks signature",
        required=False,
        help_text=(
            "Only when the sender can sign its posts; Torqueflow shows the signing secret once."
        ),
    )
