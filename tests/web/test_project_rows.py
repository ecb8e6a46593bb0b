"""Issue 12: the 台账's rows are written by a template tag in Python; what they show and how they
escape must stay what the template gave."""

import datetime
from decimal import Decimal

import pytest

from tests.factories import PlatformFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def test_a_row_shows_the_project_and_escapes_what_users_typed(client, center_user):
    ProjectFactory(code="SZ-X1", name="<b>新材料</b>项目", investor="甲&乙<公司>", total_investment=Decimal(125000),
                   signing_date=datetime.date(2026, 3, 5), cluster="高端新材料", platform=PlatformFactory(name="高新园区"))
    client.force_login(center_user)
    html = client.get("/projects/?q=SZ-X1").content.decode()
    assert "&lt;b&gt;新材料&lt;/b&gt;项目" in html and "<b>新材料" not in html
    assert "甲&amp;乙&lt;公司&gt;" in html
    assert 'href="/projects/SZ-X1/"' in html
    assert "12.5亿元" in html and "2026-03-05" in html and '<div class="meta">高新园区</div>' in html


def test_an_empty_list_says_so(client, center_user):
    client.force_login(center_user)
    assert "没有符合条件的项目" in client.get("/projects/?q=nothing-like-this").content.decode()
