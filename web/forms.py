"""The forms' renderer (settings.FORM_RENDERER): Django's, with the select box, the text inputs and
the textarea written in Python.

Django renders a <select> through a template per option and another per option's attributes: the
台账's filter form (units, leaders, platforms, clusters, years …) spent about 60 ms a page on it,
half its template time (issue 12, 100,000 projects). A project's page has a textarea per problem
card (the reply and 批示 forms): a template and an attributes template each, a fifth of the page.
`render_select`, `render_input` and `render_textarea` write the same HTML as Django's templates
(django/forms/widgets/); tests/web/test_forms.py holds them equal.
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


# Django's input widgets whose template is input.html alone.
INPUTS = {f"django/forms/widgets/{kind}.html" for kind in (
    "text", "number", "email", "url", "password", "hidden", "date", "datetime", "time", "search", "tel", "color")}
TEXTAREA = "django/forms/widgets/textarea.html"


def render_input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{escape(str(widget["value"]))}"'
    return mark_safe(f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}'
                     f'{_attrs(widget["attrs"])}>')


def render_textarea(widget: dict) -> str:
    value = _text(widget["value"]) if widget["value"] else ""
    return mark_safe(f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>')


class Renderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if widget is not None and widget.get("template_name") == template_name:  # the widget's own template
            if template_name == SELECT and all(option["template_name"] == OPTION for _name, options, _index
                                               in widget["optgroups"] for option in options):
                return render_select(widget)
            if template_name in INPUTS:
                return render_input(widget)
            if template_name == TEXTAREA:
                return render_textarea(widget)
        return super().render(template_name, context, request)
