"""The forms' renderer (settings.FORM_RENDERER): Django's, with the select box written in Python.

Django renders a <select> through a template per option and another per option's attributes: the
台账's filter form (units, leaders, platforms, clusters, years …) spent about 60 ms a page on it,
half its template time (issue 12, 100,000 projects). `render_select` writes the same HTML as
django/forms/widgets/select.html; tests/web/test_forms.py holds the two equal.
"""

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.html import escape
from django.utils.safestring import mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


_CONTEXT = Context(autoescape=True)


def _text(value) -> str:
    """`{{ value }}` in a template: localized and escaped."""
    return render_value_in_context(value, _CONTEXT)


def _attrs(attrs: dict) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its bare name.
    return "".join(
        f" {_text(name)}" if value is True else f' {_text(name)}="{escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def render_select(widget: dict) -> str:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, options, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in options:
            parts.append(f'\n  <option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                         f'{_text(option["label"])}</option>\n')  # the option template's last line ends
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))


class Renderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if template_name == SELECT else None
        if widget is not None and all(option["template_name"] == OPTION
                                      for _name, options, _index in widget["optgroups"] for option in options):
            return render_select(widget)
        return super().render(template_name, context, request)
