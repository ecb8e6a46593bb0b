"""Template helpers every app's pages share: lights, amounts, percentages, query-string links.
The role-aware navigation is projects' (projects/templatetags/project_tags.py)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

register = template.Library()

LIGHT_LABELS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}


@register.simple_tag
def light(value, days=None):
    """A light's badge (section 4), with the overdue days. Written here rather than in a template:
    the 台账 shows one per row, and an inclusion tag's template cost a few milliseconds a page."""
    if not value:
        return mark_safe('<span class="badge plain" data-light="none">—</span>')
    late = format_html(" · 逾期{}天", days) if days else ""
    return format_html('<span class="badge {}" data-light="{}">{}{}</span>', value, value,
                       LIGHT_LABELS.get(value, "无"), late)


@register.filter
def money(project):
    """A project's total investment in its own currency, in 亿 when large: 125000 万元 → 12.5亿元."""
    value = project.total_investment
    if value is None:
        return "—"
    currency = "美元" if project.currency == "USD" else "元"
    if value >= 10000:
        return f"{value / 10000:.2f}".rstrip("0").rstrip(".") + "亿" + currency
    return f"{value:.2f}".rstrip("0").rstrip(".") + "万" + currency


@register.filter
def pct(value):
    return f"{(value or 0) * 100:.1f}%"


@register.simple_tag(takes_context=True)
def url_with(context, **kwargs):
    """The current query string with some parameters replaced (pagination, sort links)."""
    params = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = value
    return "?" + params.urlencode()


@register.simple_tag(takes_context=True)
def sort_link(context, field, label, descending=False):
    """A column header that sorts the 台账 by `field`; a second click reverses it. A plain link, so
    the filter form's own 排序 select shows the same order afterwards."""
    current = context["request"].GET.get("ordering", "")
    first = f"-{field}" if descending else field
    flipped = field if current == f"-{field}" else f"-{field}"
    target = flipped if current in (field, f"-{field}") else first
    arrow = {field: " ↑", f"-{field}": " ↓"}.get(current, "")
    href = url_with(context, ordering=target, page=None)
    return format_html('<a href="{}">{}{}</a>', href, label, arrow)


@register.filter
def amount(value):
    """A 要素保障 amount: thousands separators, at most 4 decimals, no trailing zeros (1,250.5)."""
    if value is None or value == "":
        return "—"
    return f"{value:,.4f}".rstrip("0").rstrip(".")
