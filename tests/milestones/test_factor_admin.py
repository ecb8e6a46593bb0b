"""Section 11 in the admin: each type's default unit is configurable; needs follow it; evidence is read-only."""

import datetime

import pytest
from django.urls import reverse

from milestones import factor_services
from milestones.models import FactorNeed, FactorRule, FactorSecured
from projects.models import Unit
from tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_an_administrator_changes_a_types_default_unit_and_its_needs_follow(admin_client):
    need = factor_services.need_set(project=ProjectFactory(), factor_type="funds", needed=100)
    rule = FactorRule.objects.get(factor_type="funds")
    other = Unit.objects.get(name="市发改局")
    response = admin_client.post(reverse("admin:milestones_factorrule_change", args=[rule.pk]),
                                 {"factor_type": "funds", "default_unit": other.pk})
    assert response.status_code == 302
    need.refresh_from_db()
    assert need.responsible_unit == other


def test_the_admin_shows_a_needs_records_but_cannot_change_them(admin_client):
    need = factor_services.need_set(project=ProjectFactory(), factor_type="land", needed=100)
    factor_services.need_record_secured(need=need, amount=30, secured_on=datetime.date.today(), document="批复")
    page = admin_client.get(reverse("admin:milestones_factorneed_change", args=[need.pk]))
    content = page.content.decode()
    assert "批复" in content
    assert 'name="records-0-amount"' not in content and "records-0-DELETE" not in content
    assert FactorSecured.objects.count() == 1 and FactorNeed.objects.get().secured == 30
