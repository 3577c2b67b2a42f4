from django import template

from crm.phones import phone_display

register = template.Library()


@register.filter
def phone(e164: str, country: str) -> str:
    """A stored E.164 number as people in `country` write it: {{ c.phone|phone:org.country }}."""
    return phone_display(e164, country=country or "GB")
