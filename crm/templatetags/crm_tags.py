from datetime import datetime
from typing import Any

from django import template
from django.http import QueryDict
from django.template import Context
from django.utils import timezone
from django.utils.timesince import timesince

from crm.phones import format_international

register = template.Library()


@register.simple_tag(takes_context=True)
def query_with(context: Context, **changes: Any) -> str:
    """The current query string with some parameters replaced (None or '' removes them)."""
    query: QueryDict = context["request"].GET.copy()
    for name, value in changes.items():
        if value in (None, ""):
            query.pop(name, None)
        else:
            query[name] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def duration(seconds: int | None) -> str:
    """55 -> '0:55', 3725 -> '1:02:05'."""
    if seconds is None:
        return "—"
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


@register.filter
def phone(number: str) -> str:
    """An E.164 number in international format; other text as it is."""
    return format_international(number) if number and number.startswith("+") else number


@register.filter
def ago(moment: datetime | None) -> str:
    """'3 hours ago', 'just now': the largest unit only, as people say it."""
    if moment is None:
        return "—"
    if (timezone.now() - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, depth=1)} ago"
