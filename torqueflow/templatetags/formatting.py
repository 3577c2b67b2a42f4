from django import template

from torqueflow import formatting

register = template.Library()


@register.filter
def money(value, currency: str = "GBP") -> str:
    """{{ invoice.total|money:invoice.currency }} → £1,234.56"""
    return formatting.money(value, currency)


@register.filter
def day(value) -> str:
    """{{ invoice.issue_date|day }} → 7 Dec 2026"""
    return formatting.day(value)


@register.filter
def moment(value) -> str:
    """{{ payment.created_at|moment }} → 7 Dec 2026, 14:05, in the organisation's time zone"""
    return formatting.moment(value)


@register.filter
def short_id(value) -> str:
    """{{ connection.remote_account_id|short_id }} → 9a1b2c3d…"""
    return formatting.short_id(value)
