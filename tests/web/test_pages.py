"""Pages per role (issue 5): what each role sees and may do, and 404 outside a unit's scope."""

import datetime

import pytest
from django.urls import reverse

from milestones.models import Node
from projects.models import Instruction, Problem, ProblemStatus, ProgressNote, Project, Status
from tests.factories import ProblemFactory, ProjectFactory

from .conftest import login

pytestmark = pytest.mark.django_db

PAGES = ["dashboard", "project_list", "problem_list", "inbox"]


def test_it_redirects_anonymous_visitors_to_the_login_page(client):
    response = client.get(reverse("dashboard"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_login_page_is_chinese(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert "登录" in response.content.decode()


@pytest.mark.parametrize("role_user", ["center_user", "leader_user", "unit_user", "admin_user"])
@pytest.mark.parametrize("page", PAGES)
def test_every_role_opens_the_common_pages(client, request, role_user, page, project_a, project_b, problem_a):
    login(client, request.getfixturevalue(role_user))
    response = client.get(reverse(page))
    assert response.status_code == 200


def test_the_dashboard_says_ahead_or_behind_as_the_1330_report_does(client, center_user, project_a):
    """Section 5: the count against time progress, in the report's words (reports.selectors.pace)."""
    from reports.models import YearTarget

    login(client, center_user)
    body = client.get(reverse("dashboard")).content.decode()
    assert "慢于序时进度" in body  # nothing signed in 2026 by 30 June
    YearTarget.objects.filter(year=2026).delete()
    body = client.get(reverse("dashboard")).content.decode()
    assert "未设目标" in body and "慢于序时" not in body


def test_a_unit_user_sees_only_projects_of_their_unit_in_the_list(client, unit_user, project_a, project_b):
    """Issue 5: a unit user sees projects whose responsible unit is theirs or that have a node they own."""
    body = login(client, unit_user).get(reverse("project_list") + "?scope=all").content.decode()
    assert "SZ-A" in body and "SZ-B" not in body


def test_a_unit_user_sees_projects_where_their_unit_owns_a_node(client, land_user, project_a, project_b):
    body = login(client, land_user).get(reverse("project_list") + "?scope=all").content.decode()
    assert "SZ-A" in body and "SZ-B" in body
    # Issue 9: its list opens on its own work, SZ-A's land node being late; SZ-B's is months away.
    body = client.get(reverse("project_list")).content.decode()
    assert "SZ-A" in body and "SZ-B" not in body


def test_a_unit_user_gets_404_for_another_units_project(client, unit_user, project_b):
    """Issue 5: anything outside a user's scope answers 404."""
    login(client, unit_user)
    assert client.get(reverse("project_detail", args=["SZ-B"])).status_code == 404
    url = reverse("project_transition", args=["SZ-B", "acquire_land"])
    assert client.post(url, {"acquire_land-effective_date": "2026-06-01"}).status_code == 404


def test_the_detail_page_shows_the_timeline_with_the_red_light(client, center_user, project_a):
    """DOMAIN.md section 4: land planned 2026-05-16, as of 2026-06-30 → 45 days overdue, red."""
    body = login(client, center_user).get(reverse("project_detail", args=["SZ-A"])).content.decode()
    assert 'data-light="red"' in body
    assert "逾期45天" in body


def test_a_leader_defaults_to_their_contact_projects(client, leader_user, project_a, project_b):
    body = login(client, leader_user).get(reverse("project_list")).content.decode()
    assert "SZ-A" in body and "SZ-B" not in body
    body = client.get(reverse("project_list") + "?leader=").content.decode()
    assert "SZ-A" in body and "SZ-B" in body


def test_the_list_filters_by_light_and_search(client, center_user, project_a, project_b):
    login(client, center_user)
    body = client.get(reverse("project_list") + "?light=red").content.decode()
    assert "SZ-A" in body and "SZ-B" not in body
    body = client.get(reverse("project_list") + "?q=乙").content.decode()
    assert "SZ-B" in body and "SZ-A" not in body


def test_the_list_answers_htmx_with_the_results_only(client, center_user, project_a):
    response = login(client, center_user).get(reverse("project_list"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "SZ-A" in body and "<html" not in body


def test_the_filtered_list_exports_to_excel(client, center_user, project_a, project_b):
    import io

    import openpyxl

    response = login(client, center_user).get(reverse("project_export") + "?q=甲")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    # The title and the note row come first (issue 10), then the header row.
    headers = [c.value for c in sheet[3]]
    code_column = headers.index("项目编号")
    codes = [row[code_column] for row in sheet.iter_rows(min_row=4, values_only=True)]
    assert codes == ["SZ-A"]


# --- transitions ---------------------------------------------------------------------------------


def test_a_land_unit_user_records_land_acquisition_and_the_light_turns_green(client, land_user, project_a):
    """Issue 5: a unit records the node its unit owns (自然资源局 → 供地)."""
    login(client, land_user)
    url = reverse("project_transition", args=["SZ-A", "acquire_land"])
    response = client.post(url, {"acquire_land-effective_date": "2026-06-20", "acquire_land-land_area": "60",
                                 "acquire_land-expected_status": "signed"})
    assert response.status_code == 302
    project_a.refresh_from_db()
    assert project_a.status == Status.LAND_ACQUIRED
    body = client.get(reverse("project_detail", args=["SZ-A"])).content.decode()
    assert 'data-testid="project-light"><span class="badge green"' in body


def test_a_unit_user_may_not_record_a_node_another_unit_owns(client, unit_user, project_a):
    """Issue 5: unit A is responsible for the project, but 供地 belongs to 自然资源局."""
    login(client, unit_user)
    url = reverse("project_transition", args=["SZ-A", "acquire_land"])
    assert client.post(url, {"acquire_land-effective_date": "2026-06-20"}).status_code == 404
    body = client.get(reverse("project_detail", args=["SZ-A"])).content.decode()
    assert 'data-testid="transition-acquire_land"' not in body


def test_a_refused_transition_shows_the_guards_message(client, center_user, project_a):
    """DOMAIN.md section 2: no effective date in the future."""
    login(client, center_user)
    url = reverse("project_transition", args=["SZ-A", "acquire_land"])
    response = client.post(url, {"acquire_land-effective_date": "2026-07-05", "acquire_land-land_area": "60"})
    assert response.status_code == 400
    assert "不能晚于今天" in response.content.decode()
    project_a.refresh_from_db()
    assert project_a.status == Status.SIGNED


def test_a_lost_race_answers_409_on_the_page(client, center_user, project_a):
    login(client, center_user)
    url = reverse("project_transition", args=["SZ-A", "acquire_land"])
    response = client.post(url, {"acquire_land-effective_date": "2026-06-20", "acquire_land-land_area": "5",
                                 "acquire_land-expected_status": "land_acquired"})
    assert response.status_code == 409
    assert "刚被其他人更新" in response.content.decode()


def test_the_htmx_transition_form_comes_back_with_the_message(client, center_user, project_a):
    login(client, center_user)
    url = reverse("project_transition", args=["SZ-A", "acquire_land"])
    response = client.post(url, {"acquire_land-effective_date": "2026-06-20", "acquire_land-land_area": ""},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "用地面积" in response.content.decode()


def test_a_leader_has_no_transition_buttons_and_cannot_post_one(client, leader_user, project_a):
    login(client, leader_user)
    body = client.get(reverse("project_detail", args=["SZ-A"])).content.decode()
    assert "transition-" not in body
    url = reverse("project_transition", args=["SZ-A", "acquire_land"])
    assert client.post(url, {"acquire_land-effective_date": "2026-06-20"}).status_code == 404


def test_the_center_reverts_the_last_transition_with_a_reason(client, center_user, project_a):
    login(client, center_user)
    client.post(reverse("project_transition", args=["SZ-A", "acquire_land"]),
                {"acquire_land-effective_date": "2026-06-20", "acquire_land-land_area": "60"})
    undoes = project_a.history.get(transition="acquire_land").pk
    response = client.post(reverse("project_revert", args=["SZ-A"]), {"reason": "录错了", "undoes": undoes})
    assert response.status_code == 302
    project_a.refresh_from_db()
    assert project_a.status == Status.SIGNED


def test_a_unit_user_cannot_revert(client, land_user, project_a):
    assert login(client, land_user).post(reverse("project_revert", args=["SZ-A"]), {"reason": "x"}).status_code == 404


# --- new deal and edit --------------------------------------------------------------------------

DEAL = {
    "code": "SZ2026-900", "name": "新能源电池项目", "investor": "某某科技", "total_investment": "150000",
    "currency": "CNY", "is_manufacturing": "true", "cluster": "新能源汽车及零部件", "source": "外引",
    "channel": "产业链招商", "needs_new_land": "on", "land_area": "120",
}


def test_the_center_logs_and_signs_a_new_deal(client, center_user, unit_a):
    login(client, center_user)
    data = {**DEAL, "responsible_unit": unit_a.pk, "signing_date": "2026-06-18", "planned_land": "2026-10-01"}
    response = client.post(reverse("project_new"), data)
    assert response.status_code == 302
    project = Project.objects.get(code="SZ2026-900")
    assert project.status == Status.SIGNED and project.signing_date == datetime.date(2026, 6, 18)
    land = Node.objects.get(project=project, node_type="land")
    assert land.planned_date == datetime.date(2026, 10, 1) and land.planned_is_agreed


def test_a_new_deal_is_refused_whole_when_the_sign_guard_says_no(client, center_user):
    """DOMAIN.md section 2: signing needs a responsible unit; nothing is written."""
    login(client, center_user)
    response = client.post(reverse("project_new"), {**DEAL, "signing_date": "2026-06-18"})
    assert response.status_code == 400
    assert "责任单位" in response.content.decode()
    assert not Project.objects.filter(code="SZ2026-900").exists()


def test_a_duplicate_code_is_refused_on_the_form(client, center_user, project_a):
    response = login(client, center_user).post(reverse("project_new"), {**DEAL, "code": "SZ-A"})
    assert response.status_code == 400
    assert not Project.objects.filter(name=DEAL["name"]).exists()


def test_the_center_edits_a_project(client, center_user, project_a, unit_a):
    login(client, center_user)
    response = client.get(reverse("project_edit", args=["SZ-A"]))
    assert response.status_code == 200
    data = {**DEAL, "code": "ignored", "name": "甲项目（二期）", "responsible_unit": unit_a.pk,
            "planned_land": "2026-05-16", "version": response.context["form"]["version"].value()}
    response = client.post(reverse("project_edit", args=["SZ-A"]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    project_a.refresh_from_db()
    assert project_a.name == "甲项目（二期）" and project_a.code == "SZ-A"


@pytest.mark.parametrize("role_user", ["leader_user", "unit_user"])
def test_only_the_center_creates_and_edits(client, request, role_user, project_a):
    login(client, request.getfixturevalue(role_user))
    assert client.get(reverse("project_new")).status_code == 404
    assert client.get(reverse("project_edit", args=["SZ-A"])).status_code == 404


# --- problems and notes (DOMAIN.md section 7) ---------------------------------------------------


def test_a_unit_user_adds_a_progress_note_and_raises_a_problem(client, unit_user, project_a):
    login(client, unit_user)
    client.post(reverse("project_note_add", args=["SZ-A"]), {"text": "土地报批材料已上报"})
    assert ProgressNote.objects.get(project=project_a).text == "土地报批材料已上报"
    client.post(reverse("problem_new", args=["SZ-A"]), {"problem-category": "energy", "problem-description": "能耗指标不足"})
    problem = Problem.objects.get(project=project_a)
    assert problem.reply_by == datetime.date(2026, 7, 7)  # section 7: 7 days after it is raised


def test_the_assigned_unit_replies(client, unit_user, problem_a):
    login(client, unit_user)
    response = client.post(reverse("problem_action", args=[problem_a.pk, "reply"]), {"reply": "已协调解决用地"})
    assert response.status_code == 302
    problem_a.refresh_from_db()
    assert problem_a.status == ProblemStatus.REPLIED


def test_the_reply_form_shows_only_where_the_user_may_reply(client, unit_user, center_user, problem_a, project_a,
                                                             unit_b):
    """The page offers 答复 exactly where selectors.can_reply_problem lets the action through."""
    other = ProblemFactory(project=project_a, assigned_unit=unit_b, raised_on=datetime.date(2026, 6, 1))
    reply_a = reverse("problem_action", args=[problem_a.pk, "reply"])
    reply_other = reverse("problem_action", args=[other.pk, "reply"])
    body = login(client, unit_user).get(reverse("project_detail", args=["SZ-A"])).content.decode()
    assert reply_a in body and reply_other not in body
    body = login(client, center_user).get(reverse("project_detail", args=["SZ-A"])).content.decode()
    assert reply_a not in body and reply_other not in body


def test_a_leader_gives_an_instruction(client, leader_user, leader, problem_a):
    login(client, leader_user)
    client.post(reverse("problem_action", args=[problem_a.pk, "instruct"]), {"text": "请自然资源局牵头加快办理"})
    assert Instruction.objects.get(problem=problem_a).leader == leader


def test_a_leader_cannot_reply_or_resolve(client, leader_user, problem_a):
    login(client, leader_user)
    assert client.post(reverse("problem_action", args=[problem_a.pk, "reply"]), {"reply": "x"}).status_code == 403
    assert client.post(reverse("problem_action", args=[problem_a.pk, "resolve"]),
                       {"resolution": "x"}).status_code == 403


def test_the_center_assigns_and_closes_a_problem(client, center_user, problem_a, unit_b):
    login(client, center_user)
    client.post(reverse("problem_action", args=[problem_a.pk, "assign"]), {"unit": unit_b.pk, "reply_by": "2026-07-10"})
    client.post(reverse("problem_action", args=[problem_a.pk, "resolve"]), {"resolution": "已供地"})
    problem_a.refresh_from_db()
    assert problem_a.assigned_unit == unit_b and problem_a.status == ProblemStatus.RESOLVED


def test_overdue_replies_stand_out_on_the_problems_page(client, center_user, problem_a):
    """DOMAIN.md section 7: past its reply-by date (2026-06-08) without a reply."""
    body = login(client, center_user).get(reverse("problem_list")).content.decode()
    assert "problem overdue" in body and "逾期未答复" in body


def test_a_unit_user_gets_404_for_another_units_problem(client, unit_user, project_b):
    from tests.factories import ProblemFactory

    problem = ProblemFactory(project=project_b)
    login(client, unit_user)
    assert client.post(reverse("problem_action", args=[problem.pk, "reply"]), {"reply": "x"}).status_code == 404


# --- role pages ---------------------------------------------------------------------------------


def test_my_contact_projects_lists_the_leaders_projects_and_problems(client, leader_user, project_a, project_b,
                                                                     problem_a):
    body = login(client, leader_user).get(reverse("my_contacts")).content.decode()
    assert "SZ-A" in body and "SZ-B" not in body and "用地指标未落实" in body


def test_my_nodes_shows_a_units_overdue_nodes(client, land_user, project_a):
    body = login(client, land_user).get(reverse("my_nodes")).content.decode()
    assert "甲项目" in body and "逾期45天" in body


def test_my_nodes_is_not_there_for_a_leader(client, leader_user):
    assert login(client, leader_user).get(reverse("my_nodes")).status_code == 404


def test_the_reports_page_is_for_center_and_leaders(client, center_user, unit_user):
    assert login(client, center_user).get(reverse("reports")).status_code == 200
    assert login(client, unit_user).get(reverse("reports")).status_code == 404


def test_the_inbox_shows_the_unread_count_in_the_nav(client, unit_user):
    from notifications.models import Channel, Notification

    Notification.objects.create(kind="reminder", channel=Channel.INBOX, reason="r1", recipient_key="u",
                                recipient=unit_user, subject="供地节点即将到期", body="请及时办理")
    login(client, unit_user)
    body = client.get(reverse("dashboard")).content.decode()
    assert 'data-testid="unread-count">1<' in body
    client.post(reverse("inbox_read_all"))
    body = client.get(reverse("inbox")).content.decode()
    assert "供地节点即将到期" in body and 'data-testid="unread-count"' not in body


def test_marking_someone_elses_message_read_is_a_404_and_changes_nothing(client, unit_user, center_user):
    from notifications.models import Channel, Notification

    theirs = Notification.objects.create(kind="reminder", channel=Channel.INBOX, reason="r1", recipient_key="c",
                                         recipient=center_user, subject="中心的消息", body="正文")
    assert login(client, unit_user).post(reverse("inbox_read", args=[theirs.pk])).status_code == 404
    assert client.post(reverse("inbox_read", args=[theirs.pk + 1000])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_a_unit_dashboard_shows_no_city_wide_1330_figures_or_other_codes(client, unit_user, center_user,
                                                                         project_a):
    """Issue 8: the 1330 panels (city-wide counts and the codes behind them) are the reports'."""
    ProjectFactory(code="SZ-BIG", name="外单位十亿项目", signing_date=datetime.date(2026, 2, 1),
                   total_investment=200000)
    center_body = login(client, center_user).get(reverse("dashboard")).content.decode()
    assert "SZ-BIG" in center_body and 'data-testid="kpi-100m"' in center_body
    unit_body = login(client, unit_user).get(reverse("dashboard")).content.decode()
    assert "SZ-BIG" not in unit_body and "外单位十亿项目" not in unit_body
    assert 'data-testid="kpi-100m"' not in unit_body and "累计签约进度" not in unit_body
    assert "SZ-A" in unit_body or "甲项目" in unit_body


def test_a_leader_sees_alerts_written_before_they_had_a_login(client, leader_user, leader):
    """Section 6: an escalation to a leader without a login is kept for the leader, not lost."""
    from notifications.models import Channel, Notification

    Notification.objects.create(kind="escalation", channel=Channel.INBOX, reason="e1", recipient_key="l",
                                leader=leader, subject="节点转为红灯", body="请关注")
    body = login(client, leader_user).get(reverse("inbox")).content.decode()
    assert "节点转为红灯" in body


# --- report downloads (the files come from the reports app) -------------------------------------


@pytest.mark.parametrize("report, fmt, query", [
    ("1330", "pdf", "?year=2026&as_of=2026-06-30"), ("1330", "xlsx", "?year=2026"),
    ("bulletin", "pdf", "?as_of=2026-06-30"), ("bulletin", "xlsx", ""),
])
def test_the_reports_page_downloads_pdfs_and_workbooks(client, center_user, project_a, report, fmt, query):
    response = login(client, center_user).get(reverse("report_download", args=[report, fmt]) + query)
    assert response.status_code == 200
    assert response.content[:4] == (b"%PDF" if fmt == "pdf" else b"PK\x03\x04")
    assert "attachment" in response["Content-Disposition"]


def test_a_leader_downloads_only_their_own_report(client, leader_user, leader, project_a):
    from tests.factories import LeaderFactory

    other = LeaderFactory(name="另一位领导")
    login(client, leader_user)
    url = reverse("report_download", args=["leader", "pdf"])
    assert client.get(url + f"?leader={leader.pk}").status_code == 200
    assert client.get(url + f"?leader={other.pk}").status_code == 404


# --- ledger upload (DOMAIN.md section 9: the import, all or nothing) ------------------------------


def test_the_center_uploads_the_sample_ledger_as_a_dry_run(client, center_user):
    from pathlib import Path

    sample = Path(__file__).resolve().parents[1] / "data" / "sample_ledger.xlsx"
    login(client, center_user)
    with sample.open("rb") as handle:
        response = client.post(reverse("ledger_import"), {"file": handle, "dry_run": "on", "create_missing": "on"})
    assert response.status_code == 200 and "试运行" in response.content.decode()
    assert Project.objects.count() == 0


def test_a_file_that_is_not_a_workbook_is_refused(client, center_user):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, center_user)
    response = client.post(reverse("ledger_import"), {"file": SimpleUploadedFile("a.csv", b"x,y")})
    assert response.status_code == 400 and ".xlsx" in response.content.decode()


def test_only_the_center_uploads_ledgers(client, unit_user):
    assert login(client, unit_user).get(reverse("ledger_import")).status_code == 404


def test_the_list_sorts_by_amount_and_by_overdue_days(client, center_user, project_a, project_b):
    from decimal import Decimal

    Project.objects.filter(code="SZ-B").update(total_investment=Decimal("900000"))
    login(client, center_user)
    body = client.get(reverse("project_list") + "?ordering=-total_investment").content.decode()
    assert body.index("SZ-B") < body.index("SZ-A")
    body = client.get(reverse("project_list") + "?ordering=-overdue").content.decode()
    assert body.index("SZ-A") < body.index("SZ-B")
