"""The issue 5 flows in a real browser, with a screenshot of each page."""

import datetime

import pytest

from projects.models import Instruction, Project, Role, Status, Unit, local_today
from tests.factories import LeaderFactory, ProblemFactory, ProjectFactory, UnitFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def days_ago(n):
    return local_today() - datetime.timedelta(days=n)


@pytest.fixture
def world(db):
    """A small city: two units, a leader with projects, a red project waiting for land."""
    unit_a = UnitFactory(name="市发改局")  # owns no node by default: its scope is its own projects
    unit_b = UnitFactory(name="开发区（高新园区）")
    leader = LeaderFactory(name="李副市长", title="常务副市长")
    users = {
        "center": UserFactory(username="center", first_name="招商中心", role=Role.CENTER),
        "land": UserFactory(username="land", role=Role.UNIT, role__unit=Unit.objects.get(name="市自然资源局")),
        "unit": UserFactory(username="unit", role=Role.UNIT, role__unit=unit_a),
        "leader": UserFactory(username="leader", role=Role.LEADER),
    }
    leader.user = users["leader"]
    leader.save()
    red = ProjectFactory(code="SZ2026-011", name="年产50万套智能家居项目", investor="浙江某智能科技有限公司",
                         responsible_unit=unit_a, contact_leader=leader, cluster="智能家居",
                         total_investment=60000, signing_date=days_ago(230),
                         planned={"land": days_ago(45)})
    ProjectFactory(code="SZ2026-012", name="高端轴承扩产项目", investor="嵊州某轴承有限公司",
                   responsible_unit=unit_b, contact_leader=leader, total_investment=150000,
                   signing_date=days_ago(40))
    ProjectFactory(code="SZ2026-013", name="新型储能电池项目", investor="某新能源集团", cluster="氢能与新型储能",
                   responsible_unit=unit_b, total_investment=2500, currency="USD", signing_date=days_ago(20),
                   planned={"land": days_ago(10)})
    problem = ProblemFactory(project=red, category="land", description="用地指标尚未落实，影响供地进度",
                             raised_on=days_ago(20), assigned_unit=Unit.objects.get(name="市自然资源局"))
    return {"red": red, "problem": problem, "users": users}


def fill_deal(page, *, code, name, investor, amount, cluster, signing_date):
    """The sign guard's fields of the new-deal form (DOMAIN.md section 2)."""
    page.fill("#id_code", code)
    page.fill("#id_name", name)
    page.fill("#id_investor", investor)
    page.fill("#id_total_investment", amount)
    page.select_option("#id_is_manufacturing", "true")
    page.select_option("#id_cluster", cluster)
    page.select_option("#id_responsible_unit", label="市发改局")
    page.fill("#id_signing_date", signing_date.isoformat())


def test_center_staff_logs_a_new_deal_and_signs_it(page, live_server, login, shot, world):
    page.goto(f"{live_server.url}/login/")
    shot(page, "01-login")
    login(page, "center")
    shot(page, "02-dashboard-center")
    page.click("text=录入新项目")
    fill_deal(page, code="SZ2026-099", name="高性能纤维新材料项目", investor="绍兴某新材料股份有限公司",
              amount="120000", cluster="高端新材料", signing_date=days_ago(3))
    page.select_option("#id_source", "外引")
    page.select_option("#id_channel", "产业链招商")
    page.select_option("#id_contact_leader", label="李副市长")
    page.fill("#id_land_area", "85")
    shot(page, "03-new-deal-form")
    page.click("button:has-text('保存')")
    page.wait_for_url(f"{live_server.url}/projects/SZ2026-099/")
    assert page.locator("[data-testid=status]").inner_text() == "已签约"
    assert "已录入并签约" in page.locator(".messages").inner_text()
    shot(page, "04-project-detail-signed")
    page.click("text=编辑项目")
    page.wait_for_url(f"{live_server.url}/projects/SZ2026-099/edit/")
    shot(page, "04b-project-edit")
    page.go_back()
    assert Project.objects.get(code="SZ2026-099").status == Status.SIGNED
    page.goto(f"{live_server.url}/projects/")
    shot(page, "05-project-list")
    # htmx: typing in the search box narrows the list without a page load
    page.evaluate("window.__same_page = true")
    page.fill("#id_q", "轴承")
    page.wait_for_function("!document.querySelector('[data-testid=project-table]').innerText.includes('SZ2026-011')")
    assert "SZ2026-012" in page.locator("[data-testid=project-table]").inner_text()
    assert page.evaluate("window.__same_page") is True
    assert "q=" in page.url
    page.goto(f"{live_server.url}/reports/")
    shot(page, "06-reports")
    page.goto(f"{live_server.url}/projects/import/")
    shot(page, "06b-ledger-import")


def test_a_new_deal_with_a_future_signing_date_shows_the_guard(page, live_server, login, shot, world):
    login(page, "center")
    page.goto(f"{live_server.url}/projects/new/")
    fill_deal(page, code="SZ2026-098", name="未来签约项目", investor="某公司", amount="20000", cluster="高端装备",
              signing_date=local_today() + datetime.timedelta(days=3))
    page.click("button:has-text('保存')")
    assert "不能晚于今天" in page.locator("[data-testid=form-errors]").inner_text()
    shot(page, "07-new-deal-refused")
    assert not Project.objects.filter(code="SZ2026-098").exists()


def test_a_unit_user_records_land_acquisition_and_sees_the_light_change(page, live_server, login, shot, world):
    login(page, "land")
    page.goto(f"{live_server.url}/my/nodes/")
    shot(page, "08-my-nodes")
    page.click("text=年产50万套智能家居项目 >> nth=0")
    page.wait_for_url(f"{live_server.url}/projects/SZ2026-011/")
    assert page.locator("[data-testid=project-light] [data-light]").get_attribute("data-light") == "red"
    page.click("[data-testid=transition-acquire_land] summary")
    page.fill("#id_acquire_land-effective_date", days_ago(1).isoformat())
    page.fill("#id_acquire_land-land_area", "")
    page.evaluate("window.__same_page = true")
    page.click("button:has-text('确认供地')")
    # htmx swaps the form with the guard's message, without a page load
    page.wait_for_selector("[data-testid=form-errors]")
    assert "用地面积" in page.locator("[data-testid=form-errors]").inner_text()
    assert page.evaluate("window.__same_page") is True
    shot(page, "09-transition-refused")
    page.fill("#id_acquire_land-land_area", "62.5")
    page.click("button:has-text('确认供地')")
    page.wait_for_selector("text=已办理供地")
    assert page.locator("[data-testid=status]").inner_text() == "已供地"
    assert page.locator("[data-testid=project-light] [data-light]").get_attribute("data-light") == "green"
    shot(page, "10-project-detail-after-land")
    page.click("a.bell")
    page.wait_for_url(f"{live_server.url}/inbox/")
    shot(page, "10b-inbox")


def test_a_leader_opens_contact_projects_and_instructs_on_a_problem(page, live_server, login, shot, world):
    login(page, "leader")
    shot(page, "11-dashboard-leader")
    page.click("nav >> text=我联系的项目")
    page.wait_for_url(f"{live_server.url}/my/contacts/")
    assert "SZ2026-011" in page.content() and "SZ2026-013" not in page.content()
    shot(page, "12-my-contacts")
    problem = world["problem"]
    card = page.locator(f"[data-testid=problem-{problem.pk}]")
    card.locator("summary:has-text('批示')").click()
    card.locator("textarea[name=text]").fill("请市自然资源局本周内落实用地指标，专班跟踪。")
    card.locator("button:has-text('提交批示')").click()
    page.wait_for_selector("text=已批示")
    assert "请市自然资源局本周内落实用地指标" in page.locator(f"[data-testid=problem-{problem.pk}]").inner_text()
    shot(page, "13-instruction-given")
    assert Instruction.objects.get(problem=problem).text.startswith("请市自然资源局")
    page.goto(f"{live_server.url}/problems/")
    shot(page, "14-problems")


def test_a_unit_user_cannot_open_another_units_project(page, live_server, login, shot, world):
    login(page, "unit")
    response = page.goto(f"{live_server.url}/projects/SZ2026-012/")
    assert response.status == 404
    assert "页面不存在" in page.content()
    shot(page, "15-not-found")
    page.goto(f"{live_server.url}/projects/")
    assert "SZ2026-011" in page.content() and "SZ2026-012" not in page.content()


def test_pages_work_on_a_phone(phone, live_server, login, shot, world):
    login(phone, "center")
    shot(phone, "16-phone-dashboard")
    phone.goto(f"{live_server.url}/projects/")
    shot(phone, "17-phone-list")
    phone.goto(f"{live_server.url}/projects/SZ2026-011/")
    shot(phone, "18-phone-detail")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the page must not scroll sideways on a phone"
