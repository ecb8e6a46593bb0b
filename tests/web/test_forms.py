"""The forms' renderer (web/forms.py) writes a <select> exactly as Django's template does (issue 12:
the same page, in less time)."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from web.forms import Renderer

GROUPED = [("", "全部"), ("省内", [("zj", "浙江 <杭州> & \"绍兴\""), ("sz", mark_safe("<b>嵊州</b>"))]),
           (2026, 2026), (datetime.date(2026, 11, 26), datetime.date(2026, 11, 26))]


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("a", "甲"), ("b", "乙")], required=False)
    grouped = forms.ChoiceField(choices=GROUPED, required=False,
                                widget=forms.Select(attrs={"class": "x", "data-on": True, "hidden": False,
                                                           "data-none": None, "title": 'a"b<c>'}))
    many = forms.MultipleChoiceField(choices=[("1", "一"), ("2", "二"), ("3", "三")], required=False)
    yes_no = forms.NullBooleanField(required=False)
    number = forms.TypedChoiceField(choices=[(1, 1.5), (2, 1234567)], coerce=int, required=False)


@pytest.mark.parametrize("data", [{}, {"plain": "b", "grouped": "sz", "many": ["1", "3"], "yes_no": "false", "number": "2"},
                                  {"grouped": "2026-11-26", "many": ["9"], "yes_no": "true"}])
@pytest.mark.parametrize("field", ["plain", "grouped", "many", "yes_no", "number"])
def test_a_select_renders_as_djangos_template_does(field, data):
    form = Everything(data=data or None)
    ours = form[field].as_widget()
    form.renderer = DjangoTemplates()
    theirs = form[field].as_widget()
    assert ours == theirs
    assert "<select" in ours and isinstance(Renderer(), DjangoTemplates)


def test_a_select_whose_options_use_another_template_goes_to_the_template():
    class Custom(forms.Select):
        option_template_name = "django/forms/widgets/input.html"

    html = Custom(choices=[("a", "甲")]).render("x", "a", renderer=Renderer())
    assert html == Custom(choices=[("a", "甲")]).render("x", "a", renderer=DjangoTemplates())


@pytest.mark.parametrize("light, days, html", [
    ("red", 45, '<span class="badge red" data-light="red">红灯 · 逾期45天</span>'),
    ("yellow", 3, '<span class="badge yellow" data-light="yellow">黄灯 · 逾期3天</span>'),
    ("green", None, '<span class="badge green" data-light="green">绿灯</span>'),
    (None, None, '<span class="badge plain" data-light="none">—</span>'),
])
def test_a_lights_badge_names_it_and_its_overdue_days(light, days, html):
    from django.template import Context, Template

    assert Template("{% load web %}{% light light days %}").render(Context({"light": light, "days": days})) == html


class Inputs(forms.Form):
    text = forms.CharField(required=False, widget=forms.TextInput(attrs={"class": "x", "placeholder": '名称 "<全称>"',
                                                                         "autofocus": True, "hidden": False}))
    number = forms.DecimalField(required=False)
    day = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    hidden = forms.IntegerField(required=False, widget=forms.HiddenInput)
    secret = forms.CharField(required=False, widget=forms.PasswordInput(render_value=True))
    mail = forms.EmailField(required=False)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "maxlength": 2000}))


@pytest.mark.parametrize("data", [None, {}, {"text": "甲<乙> & \"丙\"", "number": "1234.50", "day": "2026-11-26", "hidden": "7",
                                         "secret": "p&w", "mail": "a@b.cn", "note": "第一行\n<第二行> & 0"},
                                  {"number": "不是数", "day": "昨天", "note": "   "}])
@pytest.mark.parametrize("field", ["text", "number", "day", "hidden", "secret", "mail", "note"])
def test_inputs_and_the_textarea_render_as_djangos_templates_do(field, data):
    form = Inputs(data=data, initial={"number": 1.5, "day": datetime.date(2026, 1, 2), "note": "原有"})
    ours = form[field].as_widget()
    form.renderer = DjangoTemplates()
    assert ours == form[field].as_widget()
