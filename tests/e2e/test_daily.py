"""Issue 9 in a real browser: the problem loop between center, unit and leader through their
inboxes, a ledger upload confirmed in one click, and each role's first screen (a leader's on a
390-pixel phone). Screenshots go to test-artifacts/screenshots/issue9-*."""

import datetime
import io

import openpyxl
import pytest

from projects.ledger import HEADERS
from projects.models import Project, Role, Unit, local_today
from tests.factories import LeaderFactory, ProblemFactory, ProjectFactory, UnitFactory, UserFactory
from tests.projects.test_ledger import base_row

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def days_ago(n):
    return local_today() - datetime.timedelta(days=n)


@pytest.fixture
def wide(browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def city(db):
    jingxin = Unit.objects.get(name="市经信局")
    fagai = UnitFactory(name="市发改局")
    leader = LeaderFactory(name="李副市长", title="常务副市长")
    users = {
        "center": UserFactory(username="center", first_name="招商中心", role=Role.CENTER,
                              role__unit=Unit.objects.get(name="市招商投资中心")),
        "unit": UserFactory(username="unit", first_name="经信局", role=Role.UNIT, role__unit=jingxin),
        "leader": UserFactory(username="leader", first_name="李副市长", role=Role.LEADER),
    }
    leader.user = users["leader"]
    leader.save()
    red = ProjectFactory(code="SZ2026-011", name="年产50万套智能家居项目", responsible_unit=fagai, contact_leader=leader,
                         signing_date=days_ago(230), planned={"land": days_ago(45)})
    ProjectFactory(code="SZ2026-012", name="高端轴承扩产项目", responsible_unit=jingxin, contact_leader=leader,
                   signing_date=days_ago(40))
    for i in range(12):  # far-off 投产 nodes 经信局 owns: visible, but not its work yet
        ProjectFactory(code=f"SZ2026-{20 + i:03d}", name=f"远期投产项目{i + 1}", responsible_unit=fagai,
                       signing_date=days_ago(10 + i))
    problem = ProblemFactory(project=red, category="energy", description="能耗指标缺口 5000 吨标煤，影响开工",
                             raised_on=days_ago(2), assigned_unit=None)
    return {"users": users, "problem": problem, "red": red}


def test_a_problem_goes_round_the_loop_through_the_inboxes(page, live_server, login, shot, city):
    problem = city["problem"]
    card = f"[data-testid=problem-{problem.pk}]"
    # 交办 by the center
    login(page, "center")
    page.goto(f"{live_server.url}/problems/")
    page.locator(card).locator("summary:has-text('交办')").click()
    page.locator(card).locator("select[name=unit]").select_option(label="市经信局")
    page.locator(card).locator("input[name=reply_by]").fill((local_today() + datetime.timedelta(days=5)).isoformat())
    page.locator(card).locator("button:has-text('交办')").click()
    page.wait_for_selector("text=已交办")
    shot(page, "issue9-01-center-assigned")
    page.click("text=退出")

    # the unit finds it in its inbox, and answers
    login(page, "unit")
    assert page.locator("[data-testid=unread-count]").inner_text() == "1"
    page.click("a.bell")
    assert "【问题交办】" in page.locator("[data-testid=inbox]").inner_text()
    shot(page, "issue9-02-unit-inbox-assigned")
    page.goto(f"{live_server.url}/problems/")
    page.locator(card).locator("summary:has-text('答复')").click()
    page.locator(card).locator("textarea[name=reply]").fill("已对接省能耗指标，月底前调剂到位。")
    page.locator(card).locator("button:has-text('提交答复')").click()
    page.wait_for_selector("text=已答复：")
    page.click("text=退出")

    # the contact leader reads the reply and gives a 批示 from the first screen
    login(page, "leader")
    page.click("a.bell")
    assert "已对接省能耗指标" in page.locator("[data-testid=inbox]").inner_text()
    shot(page, "issue9-03-leader-inbox-replied")
    page.goto(f"{live_server.url}/my/contacts/")
    page.locator(card).locator("summary:has-text('批示')").click()
    page.locator(card).locator("textarea[name=text]").fill("请经信局盯紧，月底前办结。")
    page.locator(card).locator("button:has-text('提交批示')").click()
    page.wait_for_selector("text=已批示")
    page.click("text=退出")

    # the 批示 reaches the unit
    login(page, "unit")
    page.click("a.bell")
    inbox = page.locator("[data-testid=inbox]").inner_text()
    assert "【领导批示】" in inbox and "请经信局盯紧" in inbox
    shot(page, "issue9-04-unit-inbox-instruction")


def ledger_file(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    for values in (base_row(), base_row(**{"项目编号": "SZ2026-9002", "项目名称": "嵊州测试新材料项目"})):
        sheet.append([values.get(header) for header in HEADERS])
    path = tmp_path / "台账.xlsx"
    book.save(path)
    return path


def test_a_ledger_upload_is_checked_then_confirmed_in_one_click(page, live_server, login, shot, city, tmp_path,
                                                                  settings):
    settings.VAR_DIR = tmp_path
    login(page, "center")
    page.goto(f"{live_server.url}/projects/import/")
    page.set_input_files("input[type=file]", str(ledger_file(tmp_path)))
    page.click("button:has-text('上传并检查')")
    page.wait_for_selector("[data-testid=import-confirm]")
    assert "新增" in page.locator("[data-testid=import-changes]").inner_text()
    assert not Project.objects.filter(code="SZ2026-9001").exists()
    shot(page, "issue9-05-ledger-checked")
    page.click("[data-testid=confirm-import]")
    page.wait_for_selector("text=导入完成")
    assert set(Project.objects.filter(code__startswith="SZ2026-900").values_list("code", flat=True)) == {
        "SZ2026-9001", "SZ2026-9002"}
    shot(page, "issue9-06-ledger-imported")


def test_a_units_first_screen_is_its_own_work(wide, live_server, login, shot, city):
    login(wide, "unit")
    assert wide.locator("[data-testid=unit-todo]").is_visible()
    assert "本单位" in wide.locator("[data-testid=scope-switch] a.active").inner_text()
    shot(wide, "issue9-07-unit-dashboard-1440")
    wide.goto(f"{live_server.url}/projects/")
    listed = wide.locator("[data-testid=project-table]").inner_text()
    assert "SZ2026-012" in listed and "远期投产项目" not in listed
    shot(wide, "issue9-08-unit-list-own-1440")
    wide.click("[data-testid=scope-switch] >> text=全部可见")
    assert "远期投产项目" in wide.locator("[data-testid=project-table]").inner_text()
    wide.goto(f"{live_server.url}/my/nodes/")
    assert "投产节点默认由本单位负责" in wide.locator("[data-testid=nodes-later]").inner_text()
    shot(wide, "issue9-09-unit-my-nodes-1440")


def test_a_leaders_first_screen_on_a_phone(phone, live_server, login, shot, city):
    login(phone, "leader")
    focus = phone.locator("[data-testid=leader-focus]")
    assert "年产50万套智能家居项目" in focus.inner_text()
    assert "能耗" in focus.inner_text()  # the problem waiting for the 批示
    box = focus.bounding_box()
    assert box["y"] < 844, "the leader's late projects are on the first screen"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.locator("nav.nav").is_hidden()
    assert "李副市长" in phone.locator("[data-testid=menu-button]").inner_text()
    shot(phone, "issue9-10-leader-phone-first-screen")
    phone.click("[data-testid=menu-button]")
    assert phone.locator("nav.nav >> text=报表").is_visible()
    assert phone.locator("[data-testid=who]").is_visible()
    shot(phone, "issue9-11-leader-phone-menu")
    phone.click("nav.nav >> text=我联系的项目")
    phone.wait_for_url(f"{live_server.url}/my/contacts/")
    first = phone.locator("[data-testid=flagged-projects]").bounding_box()
    assert first["y"] < phone.locator("[data-testid=contact-projects]").bounding_box()["y"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    shot(phone, "issue9-12-leader-phone-contacts")
