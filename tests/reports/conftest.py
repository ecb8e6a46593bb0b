"""A small but varied ledger for the rendered reports (PDF, Excel, commands)."""

import datetime
from decimal import Decimal

import pytest

from projects.models import Currency, Project, Status
from projects.services import problem_reply
from reports.models import PlatformTarget
from tests.factories import LeaderFactory, PlatformFactory, ProblemFactory, ProjectFactory, UnitFactory

D = datetime.date
AS_OF = D(2026, 6, 29)  # a Monday: the weekly bulletin's usual date

CLUSTERS = ["高端装备", "智能家居", "新能源汽车及零部件", "现代纺织", "生物医药与健康", "高端新材料", "合成生物"]


@pytest.fixture
def rich_ledger(db):
    leader = LeaderFactory(name="张副市长")
    other_leader = LeaderFactory(name="李副市长")
    units = [UnitFactory(name=name) for name in ("市经信局", "市发改局", "开发区（高新园区）", "市商务局")]
    platforms = [PlatformFactory(name=name) for name in ("嵊州经济开发区", "高铁新城", "三江街道")]
    for platform, target in zip(platforms, (20, 8, 4)):
        PlatformTarget.objects.create(year=2026, platform=platform, target_100m=target, target_1b=1 if target > 10 else 0)
    projects = []
    for i in range(24):
        month = 1 + i % 6
        signed = D(2026, month, 3 + i)
        status = [Status.SIGNED, Status.LAND_ACQUIRED, Status.STARTED, Status.IN_STATISTICS][i % 4]
        actual = {}
        if status != Status.SIGNED:
            actual["land"] = signed + datetime.timedelta(days=20)
        if status in (Status.STARTED, Status.IN_STATISTICS):
            actual["start"] = signed + datetime.timedelta(days=40)
        if status == Status.IN_STATISTICS:
            actual["statistics"] = signed + datetime.timedelta(days=50)
        planned = {"land": signed + datetime.timedelta(days=30 + i * 3)} if status == Status.SIGNED else {}
        projects.append(ProjectFactory(
            code=f"SZ2026-{i + 1:03d}",
            name=("=HYPERLINK(\"x\")年产5万吨" if i == 5 else f"年产{i + 10}万套智能装备及配套零部件生产线建设项目{i}"),
            total_investment=Decimal([12000, 8000, 150000, 3000][i % 4]) if i % 7 else Decimal("1500"),
            currency=Currency.USD if i % 7 == 0 else Currency.CNY,
            cluster=CLUSTERS[i % len(CLUSTERS)],
            source=["外引", "内生"][i % 2],
            channel=["亲情招商", "基金招商", "产业链招商", "以商引商", "其他"][i % 5],
            platform=platforms[i % 3],
            responsible_unit=units[i % 4],
            contact_leader=leader if i % 2 else other_leader,
            signing_date=signed,
            status=status,
            actual=actual,
            planned=planned,
        ))
    # Signed this week (the 7 days ending on AS_OF).
    projects.append(ProjectFactory(code="SZ2026-101", name="本周签约的高端装备项目", signing_date=D(2026, 6, 25),
                                   total_investment=Decimal("30000"), responsible_unit=units[0], contact_leader=leader,
                                   platform=platforms[0]))
    ProjectFactory(code="SZ2026-201", name="暂停中的纺织项目", status=Status.SUSPENDED, suspended_from=Status.SIGNED,
                   suspended_on=D(2026, 3, 1), status_reason="投资方资金未到位", signing_date=D(2026, 1, 5),
                   responsible_unit=units[1], contact_leader=leader)
    ProjectFactory(code="SZ2025-001", name="上年签约项目", signing_date=D(2025, 9, 1), responsible_unit=units[2],
                   contact_leader=leader)
    ProblemFactory(project=projects[1], raised_on=D(2026, 5, 1), description="用地指标未落实，需协调")
    ProblemFactory(project=projects[3], raised_on=D(2026, 6, 20), category="energy", description="能耗指标待审批")
    replied = ProblemFactory(project=projects[5], raised_on=D(2026, 4, 1), category="funding", description="资金缺口")
    problem_reply(problem=replied, reply="已对接银行", replied_on=D(2026, 4, 5))
    late = ProblemFactory(project=projects[7], raised_on=D(2026, 4, 1), category="approval", description="环评审批慢")
    problem_reply(problem=late, reply="已加快", replied_on=D(2026, 4, 20))
    return {"leader": leader, "projects": Project.objects.all(), "units": units, "as_of": AS_OF}
