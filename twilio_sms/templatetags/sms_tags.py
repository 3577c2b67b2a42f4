from django import template

from twilio_sms import mapping
from twilio_sms.compose import compose_from_query

register = template.Library()


@register.simple_tag(takes_context=True)
def sms_compose(context):
    """The form's starting values from the page's query (a "Text reminder" link)."""
    request = context["request"]
    return compose_from_query(request, request.organisation, request.GET)


@register.filter
def sms_status(message) -> str:
    return mapping.status_words(message.status, message.error_code)


@register.filter
def sms_tone(message) -> str:
    return mapping.status_tone(message.status)
