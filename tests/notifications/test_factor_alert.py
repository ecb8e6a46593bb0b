"""DOMAIN.md section 11: the weekly alert tells each unit its 预警 and 逾期未保障 needs."""

import datetime

import pytest

from milestones import factor_services
from notifications.models import Channel, Kind, Notification
from notifications.services import weekly_alert
from projects.models import Role, Unit
from tests.factories import ProjectFactory, UserFactory

D = datetime.date
AS_OF = D(2026, 6, 29)  # a Monday
FAR = {"land": D(2030, 1, 1), "start": D(2030, 4, 1), "statistics": D(2030, 5, 1), "production": D(2031, 1, 1)}

pytestmark = pytest.mark.django_db


def body_for(user):
    return Notification.objects.get(kind=Kind.WEEKLY, channel=Channel.INBOX, recipient=user).body


def energy_need(code, production):
    project = ProjectFactory(code=code, planned={**FAR, "production": production})
    return factor_services.need_set(project=project, factor_type="energy", needed=1000, today=D(2026, 1, 1))


def test_each_unit_is_told_its_overdue_and_at_risk_needs(center_user):
    fgj = UserFactory(username="fgj", role=Role.UNIT, role__unit=Unit.objects.get(name="市发改局"))
    energy_need("E-LATE", AS_OF - datetime.timedelta(days=3))
    energy_need("E-TODAY", AS_OF)
    energy_need("E-30", AS_OF + datetime.timedelta(days=30))
    energy_need("E-31", AS_OF + datetime.timedelta(days=31))
    summary = weekly_alert(as_of=AS_OF)
    assert (summary["factor_overdue"], summary["factor_at_risk"]) == (1, 2)
    body = body_for(fgj)
    overdue, at_risk = body.split("【30 天内需保障的要素（预警）】")
    assert "E-LATE" in overdue and "逾期 3 天" in overdue and "缺口 1000" in overdue
    assert "E-TODAY" in at_risk and "今天到期" in at_risk and "E-30" in at_risk and "还有 30 天" in at_risk
    assert "E-31" not in body
    assert "E-LATE" in body_for(center_user)


def test_a_secured_need_is_not_in_the_alert(center_user):
    need = energy_need("E-OK", AS_OF - datetime.timedelta(days=3))
    factor_services.need_record_secured(need=need, amount=1000, secured_on=D(2026, 6, 1), document="能评批复",
                                        today=AS_OF)
    assert weekly_alert(as_of=AS_OF)["factor_overdue"] == 0
