"""Section 10 on the pages: the six-node timeline, the 达产 transition and the 达产复核 form."""

import datetime
import re

import pytest
from django.urls import reverse

from projects.models import Status
from tests.factories import ProjectFactory

from .conftest import login

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_project_page_timeline_shows_six_nodes_ending_with_capacity(client, center_user, project_a):
    body = login(client, center_user).get(reverse("project_detail", args=["SZ-A"])).content.decode()
    timeline = body.split('data-testid="timeline"')[1].split("</ol>")[0]
    assert re.findall(r'data-node="(\w+)"', timeline) == ["sign", "land", "start", "statistics", "production",
                                                          "capacity"]
    assert "达产" in timeline


def test_an_in_production_project_offers_reach_capacity_to_the_center(client, center_user, unit_a):
    ProjectFactory(code="SZ-P", responsible_unit=unit_a, status=Status.IN_PRODUCTION,
                   actual={"production": D(2025, 1, 1)}, last_event_date=D(2025, 1, 1))
    body = login(client, center_user).get(reverse("project_detail", args=["SZ-P"])).content.decode()
    assert 'data-testid="transition-reach_capacity"' in body
