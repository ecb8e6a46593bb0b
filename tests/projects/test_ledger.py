"""DOMAIN.md section 9: the Excel ledger import (all or nothing, through the transitions of section 2,
planned dates of section 3) and export (round-trips with the import)."""

import datetime
import io
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.evidence import purge_allowed
from milestones.models import Node
from projects import ledger
from projects.cache import new_version
from projects.ledger import HEADERS, export_ledger, import_ledger
from projects.management.commands.import_ledger import Command as ImportLedgerCommand
from projects.models import Currency, Leader, Platform, Project, Status, TransitionLog, Unit

pytestmark = pytest.mark.django_db

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_ledger.xlsx"
D = datetime.date
TODAY = D(2026, 11, 25)


@pytest.fixture(autouse=True)
def _today_is_25_november_2026():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def base_row(**changes):
    row = {
        "项目编号": "SZ2026-9001", "项目名称": "嵊州测试精密机械项目", "投资方": "嵊州测试机械有限公司",
        "总投资": 20000, "计量单位": "万元", "是否制造业": "是", "产业集群": "高端装备", "项目来源": "外引",
        "招商方式": "产业链招商", "所在平台": "嵊州经济开发区", "责任单位": "市经信局", "是否需新供地": "是",
        "用地面积（亩）": 50, "签约日期": "2026-03-01",
    }
    row.update(changes)
    return row


def write_ledger(path, rows, headers=HEADERS):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(headers))
    for row in rows:
        sheet.append([row.get(header) for header in headers])
    workbook.save(path)
    return path


def run_import(tmp_path, rows, name="ledger.xlsx", **kwargs):
    return import_ledger(path_or_file=write_ledger(tmp_path / name, rows), **kwargs)


def nothing_written():
    return Project.objects.count() == 0 and TransitionLog.objects.count() == 0 and Node.objects.count() == 0


# --- the sample ledger (tests/data/sample_ledger.xlsx) -----------------------------------------


@pytest.fixture
def sample_imported():
    result = import_ledger(path_or_file=SAMPLE, create_missing=True)
    assert result.ok, result.errors
    return result


def test_sample_imports_every_row_with_create_missing(sample_imported):
    """Section 9: --create-missing creates the unknown leaders and says which."""
    assert len(sample_imported.created) == 60
    assert Project.objects.count() == 60
    assert set(sample_imported.created_leaders) == {"市长", "常务副市长", "副市长（分管工业）", "副市长（分管城建）", "市委副书记"}
    assert "常务副市长" in sample_imported.summary() and "新增 60 个" in sample_imported.summary()


def test_sample_actual_dates_put_projects_in_their_state(sample_imported):
    """Section 9: actual dates put the project in its state, through the transitions of section 2."""
    project = Project.objects.get(code="SZ2024-0004")
    assert project.status == Status.IN_PRODUCTION
    assert project.signing_date == D(2024, 8, 24)
    assert project.last_event_date == D(2026, 5, 11)
    assert list(project.history.values_list("transition", flat=True)) == [
        "create", "sign", "acquire_land", "start", "enter_statistics", "start_production"]
    log = project.history.get(transition="start")
    assert (log.source_state, log.target_state, log.effective_date, log.note, log.by) == (
        Status.LAND_ACQUIRED, Status.STARTED, D(2025, 3, 23), "台账导入", None)
    assert log.previous_values["last_event_date"] == "2025-02-18"
    assert log.previous_values["node_actual"] is None
    nodes = {n.node_type: n for n in project.nodes.all()}
    assert nodes["production"].actual_date == D(2026, 5, 11)
    assert nodes["land"].planned_date == D(2025, 2, 24) and nodes["land"].planned_is_agreed


def test_sample_suspended_project_remembers_the_state_it_paused_in(sample_imported):
    """Section 2: 状态 已暂停 suspends after the actual-date steps, on the import day, reason 台账导入."""
    project = Project.objects.get(code="SZ2025-0042")
    assert project.status == Status.SUSPENDED
    assert project.suspended_from == Status.IN_STATISTICS
    assert project.suspended_on == TODAY
    assert project.status_reason == "台账导入"
    assert Project.objects.get(code="SZ2024-0054").suspended_from == Status.SIGNED


def test_sample_negotiating_and_terminated_projects(sample_imported):
    lead = Project.objects.get(code="SZ2026-0022")
    assert lead.status == Status.NEGOTIATING and lead.signing_date is None
    assert lead.total_investment == Decimal("99900") and lead.currency == Currency.CNY
    terminated = dict(Project.objects.filter(status=Status.TERMINATED).values_list("code", "last_event_date"))
    assert terminated == {"SZ2025-0002": TODAY, "SZ2024-0029": TODAY, "SZ2024-0049": TODAY, "SZ2025-0055": TODAY}
    assert TransitionLog.objects.get(project__code="SZ2025-0055", transition="terminate").source_state == (
        Status.IN_STATISTICS)


def test_sample_amount_units_are_stored_in_wan_with_currency(sample_imported):
    """Section 9: 亿 × 10000, 美元 amounts keep their currency (section 5: no exchange rate)."""
    usd = Project.objects.get(code="SZ2024-0041")
    assert (usd.total_investment, usd.currency) == (Decimal("20000"), Currency.USD)
    assert Project.objects.get(code="SZ2024-0000").total_investment == Decimal("100000")  # empty unit: 万元
    assert Project.objects.get(code="SZ2025-0001").total_investment == Decimal("9999.99")


def test_sample_empty_planned_dates_are_derived(sample_imported):
    """Section 3: a planned date not given is derived from the previous node (+6, +3, +1, +18 months)."""
    nodes = {n.node_type: n for n in Node.objects.filter(project__code="SZ2026-0053")}
    assert {t: (n.planned_date, n.planned_is_agreed) for t, n in nodes.items()} == {
        "sign": (D(2026, 5, 24), False),
        "land": (D(2026, 11, 24), False),
        "start": (D(2027, 2, 24), False),
        "statistics": (D(2027, 3, 24), False),
        "production": (D(2028, 8, 24), False),
        "capacity": (D(2030, 8, 24), False),  # 24 months after production (section 10)
    }
    assert nodes["land"].responsible_unit.name == "市自然资源局"
    # No new land: no land node, and start follows sign (3 months after it).
    no_land = {n.node_type: n for n in Node.objects.filter(project__code="SZ2024-0051")}
    assert "land" not in no_land
    assert no_land["start"].planned_date == D(2024, 8, 9)


def test_platforms_are_created_silently(sample_imported):
    assert Platform.objects.filter(name="甘霖镇").exists()
    assert Project.objects.get(code="SZ2024-0000").platform.name == "甘霖镇"


# --- refusals: nothing written ------------------------------------------------------------------


REFUSALS = [
    # (rule, row changes, expected error)
    ("unknown unit", {"责任单位": "市经信委"}, "第2行 责任单位: 系统中没有名为「市经信委」的责任单位，相近的有：市经信局"),
    ("negative amount", {"总投资": -5}, "第2行 总投资: 必须大于 0"),
    ("zero amount", {"总投资": 0}, "第2行 总投资: 必须大于 0"),
    ("amount not a number", {"总投资": "两亿"}, "第2行 总投资: 应为数字"),
    ("impossible date", {"签约日期": "2025-02-30"}, "第2行 签约日期: 日期 2025-02-30 不存在"),
    ("date text", {"签约日期": "明年3月"}, "第2行 签约日期: 「明年3月」不是日期，应为 Excel 日期或 YYYY-MM-DD、YYYY/M/D"),
    ("impossible compact date", {"签约日期": "20250230"}, "第2行 签约日期: 日期 20250230 不存在"),
    ("amount unit disagrees", {"总投资": "6亿元", "计量单位": "万美元"},
     "第2行 总投资: 金额带的单位「亿元」与计量单位「万美元」不一致"),
    ("start before land", {"实际供地日期": "2026-06-01", "实际开工日期": "2026-05-01"},
     "第2行 实际开工日期: 开工日期 2026-05-01 不能早于上一节点日期 2026-06-01"),
    ("land before signing", {"实际供地日期": "2026-02-01"},
     "第2行 实际供地日期: 供地日期 2026-02-01 不能早于上一节点日期 2026-03-01"),
    ("start without land", {"实际开工日期": "2026-05-01"}, "第2行 实际开工日期: 需新供地的项目须先完成供地，才能开工"),
    ("missing code", {"项目编号": None}, "第2行 项目编号: 必填，不能为空"),
    ("yes/no cell", {"是否制造业": "可能"}, "第2行 是否制造业: 应为「是」或「否」，而不是「可能」"),
    ("yes/no land cell", {"是否需新供地": "Y"}, "第2行 是否需新供地: 应为「是」或「否」"),
    ("future signing date", {"签约日期": "2026-12-01"}, "第2行 签约日期: 签约日期 2026-12-01 不能晚于今天（2026-11-25）"),
    ("future actual date", {"实际供地日期": "2026-11-26"}, "第2行 实际供地日期: 供地日期 2026-11-26 不能晚于今天"),
    ("unknown amount unit", {"计量单位": "千元"}, "第2行 计量单位: 「千元」不是可选值，应为：万元、亿元、万美元、亿美元"),
    ("unknown cluster", {"产业集群": "光伏"}, "第2行 产业集群: 「光伏」不是可选值"),
    ("unknown source", {"项目来源": "外地"}, "第2行 项目来源: 「外地」不是可选值，应为：外引、内生"),
    ("unknown channel", {"招商方式": "网络招商"}, "第2行 招商方式: 「网络招商」不是可选值"),
    ("status value", {"状态": "已投产"}, "第2行 状态: 「已投产」不是可选值，应为：在谈、已暂停、已终止"),
    ("actual date on a lead", {"状态": "在谈", "实际供地日期": "2026-04-01"},
     "第2行 实际供地日期: 状态为「在谈」的项目不能填写实际日期"),
    ("land date without land", {"是否需新供地": "否", "用地面积（亩）": None, "实际供地日期": "2026-04-01"},
     "第2行 实际供地日期: 该项目无需新供地，不能填写实际供地日期"),
    ("statistics without code", {"实际供地日期": "2026-04-01", "实际开工日期": "2026-05-01", "实际入库日期": "2026-06-01"},
     "第2行 实际入库日期: 填写了实际入库日期，必须同时填写统计库项目代码"),
    ("suspended without signing date", {"签约日期": None, "状态": "已暂停"}, "第2行 签约日期: 已签约的项目"),
    ("sign guard", {"产业集群": None}, "第2行 签约日期: 签约前须填写：产业集群"),
    ("land guard", {"用地面积（亩）": None, "实际供地日期": "2026-04-01"},
     "第2行 实际供地日期: 供地前须填写大于 0 的用地面积（亩）"),
    ("unknown leader", {"联系市领导": "副市长"}, "第2行 联系市领导: 系统中没有名为「副市长」的联系市领导"),
]


@pytest.mark.parametrize("rule,changes,expected", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_bad_cell_refuses_the_whole_import(tmp_path, rule, changes, expected):
    """Section 9: any bad cell and nothing is written; the cell is reported as 第N行 <表头>: <原因>."""
    units = Unit.objects.count()
    good = base_row(项目编号="SZ2026-9000")
    bad = base_row(**{"所在平台": "新建测试园区", **changes})
    result = run_import(tmp_path, [bad, good])
    assert any(line.startswith(expected) for line in result.errors), result.errors
    assert nothing_written()
    assert Unit.objects.count() == units and not Platform.objects.filter(name="新建测试园区").exists()


def test_duplicate_code_in_one_file_is_refused(tmp_path):
    result = run_import(tmp_path, [base_row(), base_row(项目名称="另一个")])
    assert result.errors == ["第3行 项目编号: 项目编号「SZ2026-9001」与第2行重复"]
    assert nothing_written()


def test_unknown_header_is_refused(tmp_path):
    path = write_ledger(tmp_path / "x.xlsx", [base_row()], headers=[*HEADERS, "负责人"])
    result = import_ledger(path_or_file=path)
    assert result.errors == ["第1行 负责人: 未知的表头"]
    assert nothing_written()


def test_misspelt_header_suggests_the_right_one(tmp_path):
    headers = [h if h != "实际开工日期" else "实际开工时间" for h in HEADERS]
    result = import_ledger(path_or_file=write_ledger(tmp_path / "x.xlsx", [base_row()], headers=headers))
    assert result.errors[0].startswith("第1行 实际开工时间: 未知的表头，是否为：实际开工日期")


def test_missing_required_header_is_refused(tmp_path):
    headers = [h for h in HEADERS if h != "投资方"]
    result = import_ledger(path_or_file=write_ledger(tmp_path / "x.xlsx", [base_row()], headers=headers))
    assert result.errors == ["第1行 投资方: 缺少必填列"]


def test_headers_in_any_order_and_optional_columns_may_be_left_out(tmp_path):
    headers = ["签约日期", "投资方", "总投资", "项目名称", "项目编号", "责任单位", "产业集群", "是否制造业", "用地面积（亩）"]
    result = import_ledger(path_or_file=write_ledger(tmp_path / "x.xlsx", [base_row()], headers=headers))
    assert result.ok, result.errors
    project = Project.objects.get()
    assert project.status == Status.SIGNED and project.needs_new_land  # 是否需新供地 empty: 是


def test_every_bad_cell_is_reported_in_row_order(tmp_path):
    rows = [base_row(项目编号="A1", 总投资=-1, 是否制造业="对"), base_row(项目编号="A2"), base_row(项目编号="A3", 签约日期="2024-13-01")]
    result = run_import(tmp_path, rows)
    assert result.errors == [
        "第2行 总投资: 必须大于 0",
        "第2行 是否制造业: 应为「是」或「否」，而不是「对」",
        "第4行 签约日期: 日期 2024-13-01 不存在",
    ]
    assert all(re.match(r"^第\d+行 \S+: \S", line) for line in result.errors)
    assert nothing_written()


def test_create_missing_creates_unknown_units_and_leaders(tmp_path):
    result = run_import(tmp_path, [base_row(责任单位="市新材料产业办", 联系市领导="副市长（分管科技）")], create_missing=True)
    assert result.ok, result.errors
    assert result.created_units == ["市新材料产业办"] and result.created_leaders == ["副市长（分管科技）"]
    assert "新建责任单位：市新材料产业办" in result.summary()
    project = Project.objects.get()
    assert project.responsible_unit.name == "市新材料产业办" and project.contact_leader.name == "副市长（分管科技）"


def test_leader_is_matched_by_title_when_unique(tmp_path):
    Leader.objects.create(name="王某某", title="常务副市长")
    result = run_import(tmp_path, [base_row(联系市领导="常务副市长")])
    assert result.ok, result.errors
    assert Project.objects.get().contact_leader.name == "王某某"


# --- the command ----------------------------------------------------------------------------------


def test_command_exits_with_status_1_on_a_bad_cell(tmp_path, capsys, monkeypatch):
    # run_from_argv closes every connection when done, which would end the test's own transaction.
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    path = write_ledger(tmp_path / "bad.xlsx", [base_row(总投资=-5)])
    with pytest.raises(CommandError):
        call_command("import_ledger", str(path))
    with pytest.raises(SystemExit) as exit_info:
        # What manage.py does with the command's error: the process exit status.
        ImportLedgerCommand().run_from_argv(["manage.py", "import_ledger", str(path), "--skip-checks"])
    assert exit_info.value.code == 1
    err = capsys.readouterr().err
    assert "第2行 总投资: 必须大于 0" in err and "未写入任何数据" in err
    assert nothing_written()


def test_command_dry_run_writes_nothing():
    out = io.StringIO()
    counts = Leader.objects.count(), Unit.objects.count(), Platform.objects.count()
    call_command("import_ledger", str(SAMPLE), "--dry-run", "--create-missing", stdout=out)
    assert "将新增 60 个" in out.getvalue() and "常务副市长" in out.getvalue()
    assert nothing_written()
    assert (Leader.objects.count(), Unit.objects.count(), Platform.objects.count()) == counts


def test_command_prints_a_chinese_summary(tmp_path):
    out = io.StringIO()
    call_command("import_ledger", str(write_ledger(tmp_path / "a.xlsx", [base_row()])), stdout=out)
    assert "导入完成：新增 1 个、更新 0 个项目" in out.getvalue()


# --- re-import ------------------------------------------------------------------------------------


def test_reimport_updates_fields_and_moves_the_project_further(tmp_path):
    """Section 9: re-importing a code updates that project; further actual dates move it on."""
    run_import(tmp_path, [base_row(实际供地日期="2026-04-01")], name="a.xlsx")
    result = run_import(tmp_path, [base_row(项目名称="改名后的项目", 实际供地日期="2026-04-01", 实际开工日期="2026-06-01",
                                            计划投产日期="2027-12-31")], name="b.xlsx")
    assert result.ok, result.errors
    assert (result.created, result.updated) == ([], ["SZ2026-9001"])
    project = Project.objects.get()
    assert (project.name, project.status, project.last_event_date) == ("改名后的项目", Status.STARTED, D(2026, 6, 1))
    assert project.history.filter(transition="start").count() == 1
    production = project.nodes.get(node_type="production")
    assert (production.planned_date, production.planned_is_agreed) == (D(2027, 12, 31), True)


def test_reimporting_the_same_file_changes_nothing(tmp_path):
    rows = [base_row(实际供地日期="2026-04-01")]
    run_import(tmp_path, rows, name="a.xlsx")
    logs = TransitionLog.objects.count()
    result = run_import(tmp_path, rows, name="b.xlsx")
    assert (result.updated, result.unchanged) == ([], ["SZ2026-9001"])
    assert TransitionLog.objects.count() == logs


def test_empty_planned_date_on_reimport_goes_back_to_derived(tmp_path):
    run_import(tmp_path, [base_row(计划供地日期="2026-05-01")], name="a.xlsx")
    run_import(tmp_path, [base_row()], name="b.xlsx")
    land = Node.objects.get(node_type="land")
    assert (land.planned_date, land.planned_is_agreed) == (D(2026, 9, 1), False)


def test_ledger_behind_the_system_is_refused_with_a_revert_hint(tmp_path):
    """Section 2: history is corrected by an audited revert, never silently rewound by an import."""
    run_import(tmp_path, [base_row(实际供地日期="2026-04-01")], name="a.xlsx")
    result = run_import(tmp_path, [base_row(项目名称="新名字")], name="b.xlsx")
    assert len(result.errors) == 1
    assert result.errors[0].startswith("第2行 实际供地日期: 系统中已记录实际供地日期为 2026-04-01，台账为空")
    assert "撤销" in result.errors[0]
    project = Project.objects.get()
    assert (project.status, project.name) == (Status.LAND_ACQUIRED, "嵊州测试精密机械项目")


def test_signed_project_cannot_go_back_to_negotiating(tmp_path):
    run_import(tmp_path, [base_row()], name="a.xlsx")
    result = run_import(tmp_path, [base_row(状态="在谈")], name="b.xlsx")
    assert result.errors[0].startswith("第2行 状态: 系统中该项目已于 2026-03-01 签约，不能改回「在谈」")


def test_suspended_project_reimported_without_status_resumes(tmp_path):
    run_import(tmp_path, [base_row(状态="已暂停", 备注="资金未到位")], name="a.xlsx")
    project = Project.objects.get()
    assert (project.status, project.status_reason) == (Status.SUSPENDED, "资金未到位")
    result = run_import(tmp_path, [base_row()], name="b.xlsx")
    assert result.ok, result.errors
    project.refresh_from_db()
    assert project.status == Status.SIGNED and project.suspended_from == ""
    assert list(project.history.values_list("transition", flat=True)) == ["create", "sign", "suspend", "resume"]


def test_suspended_project_with_a_new_actual_date_resumes_then_moves_on(tmp_path):
    run_import(tmp_path, [base_row(签约日期="2025-03-01", 状态="已暂停")], name="a.xlsx")
    # Suspended today (2026-11-25): a later event must not be dated before the suspension.
    result = run_import(tmp_path, [base_row(签约日期="2025-03-01", 实际供地日期="2026-04-01")], name="b.xlsx")
    assert result.errors[0].startswith("第2行 实际供地日期: （恢复已暂停的项目）恢复日期 2026-04-01 不能早于上一节点日期 2026-11-25")
    result = run_import(tmp_path, [base_row(签约日期="2025-03-01", 实际供地日期="2026-11-25")], name="c.xlsx")
    assert result.ok, result.errors
    project = Project.objects.get()
    assert project.status == Status.LAND_ACQUIRED
    assert list(project.history.values_list("transition", flat=True))[-2:] == ["resume", "acquire_land"]


def test_lead_signing_date_is_the_agreed_plan_of_the_sign_node(tmp_path):
    run_import(tmp_path, [base_row(状态="在谈", 签约日期="2027-01-15")])
    project = Project.objects.get()
    assert project.status == Status.NEGOTIATING and project.signing_date is None
    sign = project.nodes.get(node_type="sign")
    assert (sign.planned_date, sign.planned_is_agreed, sign.actual_date) == (D(2027, 1, 15), True, None)
    assert project.nodes.get(node_type="land").planned_date == D(2027, 7, 15)


def test_import_query_count_does_not_grow_with_rows(tmp_path, monkeypatch):
    # The notification scans after the write are notifications' own (their count follows what is due).
    monkeypatch.setattr(ledger, "_notify", lambda projects: None)

    def queries_for(count, name):
        rows = [base_row(项目编号=f"Q{name}{i:03d}", 实际供地日期="2026-04-01") for i in range(count)]
        path = write_ledger(tmp_path / f"{name}.xlsx", rows)
        with CaptureQueriesContext(connection) as context:
            assert import_ledger(path_or_file=path).ok
        return len(context)

    # Bulk statements are split only by the backend's parameter limit (SQLite: ~140 nodes, ~60 audit
    # records a batch; 40 rows make 240 audit records).
    assert queries_for(40, "b") <= queries_for(3, "a") + 7


# --- export and the round-trip ------------------------------------------------------------------


def wipe_projects():
    """An empty ledger to import into. The transition history is evidence and never deleted by the
    product (audit.evidence): only a test wiping its database lifts that."""
    from notifications.models import Notification

    with purge_allowed(TransitionLog, Notification):
        Notification.objects.all().delete()
        TransitionLog.objects.all().delete()
        Project.objects.all().delete()


def snapshot_all():
    state = {}
    for project in Project.objects.select_related("platform", "responsible_unit", "contact_leader"):
        values = {f.attname: getattr(project, f.attname) for f in Project._meta.concrete_fields
                  if f.attname not in ("id", "created_at", "updated_at", "platform_id", "responsible_unit_id",
                                       "contact_leader_id")}
        values["platform"] = project.platform.name if project.platform else None
        values["unit"] = project.responsible_unit.name if project.responsible_unit else None
        values["leader"] = project.contact_leader.name if project.contact_leader else None
        values["nodes"] = sorted(
            (n.node_type, n.planned_date, n.planned_is_agreed, n.actual_date, n.responsible_unit.name)
            for n in project.nodes.select_related("responsible_unit")
        )
        values["history"] = list(project.history.values_list("transition", "source_state", "target_state",
                                                             "effective_date"))
        state[project.code] = values
    return state


def test_export_then_import_round_trips(sample_imported, tmp_path):
    """Section 9: export → import gives back every field and node."""
    before = snapshot_all()
    path = tmp_path / "export.xlsx"
    call_command("export_ledger", str(path), stdout=io.StringIO())
    wipe_projects()
    result = import_ledger(path_or_file=path)
    assert result.ok, result.errors
    assert snapshot_all() == before


def exported_sheet(tmp_path, queryset=None):
    path = tmp_path / "export.xlsx"
    with open(path, "wb") as stream:
        export_ledger(projects_queryset=queryset or Project.objects.order_by("code"), stream=stream)
    return path, openpyxl.load_workbook(path).worksheets[0]


def exported_rows(sheet):
    return {r[0].value: {h: c for h, c in zip(ledger.EXPORT_HEADERS, r)} for r in sheet.iter_rows(min_row=4)}


def test_export_writes_amounts_in_wan_dates_as_dates_and_status_only_when_needed(sample_imported, tmp_path):
    _, sheet = exported_sheet(tmp_path)
    assert [c.value for c in sheet[3]] == ledger.EXPORT_HEADERS
    assert sheet.column_dimensions["B"].width >= 30
    rows = exported_rows(sheet)
    usd = rows["SZ2024-0041"]
    assert (usd["总投资"].value, usd["计量单位"].value) == (20000, "万美元")
    assert usd["签约日期"].is_date and usd["签约日期"].value == datetime.datetime(2024, 8, 1)
    assert usd["状态"].value is None
    assert rows["SZ2026-0022"]["状态"].value == "在谈"
    assert rows["SZ2025-0042"]["状态"].value == "已暂停"
    assert rows["SZ2024-0004"]["计划供地日期"].value == datetime.datetime(2025, 2, 24)
    assert "推算" not in rows["SZ2024-0004"]["计划供地日期"].number_format


def test_export_is_a_printable_a3_document_with_a_dated_title(sample_imported, tmp_path):
    """Issue 10: a title row with the as-of date, header rows repeated on each printed page,
    A3 landscape fitted to the width, code and name frozen beside the header rows."""
    _, sheet = exported_sheet(tmp_path)
    assert sheet["A1"].value == "嵊州市重大项目台账（截至 2026年11月25日）"
    assert sheet["A2"].value.startswith("说明：")
    assert sheet.freeze_panes == "C4"
    assert (sheet.page_setup.paperSize, sheet.page_setup.orientation) == (8, "landscape")
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.print_title_rows == "$1:$3"


def test_export_shows_every_project_current_state_light_and_overdue_days(sample_imported, tmp_path):
    """Issue 10: 当前状态 for every row (not only 在谈/已暂停/已终止), the light and the overdue days
    of section 4 as of the export day."""
    from milestones.selectors import annotate_light

    _, sheet = exported_sheet(tmp_path)
    rows = exported_rows(sheet)
    projects = annotate_light(Project.objects.all(), as_of=TODAY)
    assert len(rows) == projects.count()
    for project in projects:
        row = rows[project.code]
        assert row["当前状态"].value == Status(project.status).label
        assert row["红黄绿灯"].value == {"red": "红灯", "yellow": "黄灯", "green": "绿灯", None: None}[project.light]
        assert row["逾期天数"].value == project.max_overdue_days
    assert {r["红黄绿灯"].value for r in rows.values()} >= {"红灯", "绿灯"}


def test_export_writes_derived_planned_dates_marked_in_grey(sample_imported, tmp_path):
    """Section 3 on paper: a derived planned date is shown, in grey, with 推算 in its format."""
    _, sheet = exported_sheet(tmp_path)
    cell = exported_rows(sheet)["SZ2026-0053"]["计划供地日期"]
    land = Project.objects.get(code="SZ2026-0053").nodes.get(node_type="land")
    assert not land.planned_is_agreed
    assert cell.value == datetime.datetime.combine(land.planned_date, datetime.time())
    assert "推算" in cell.number_format and cell.font.i and cell.font.color.rgb.endswith("808080")


def test_reimporting_the_export_changes_nothing(sample_imported, tmp_path):
    """Export → re-import into the same system: every project unchanged; the title rows are
    reported as skipped and the read-only columns as ignored."""
    path, _ = exported_sheet(tmp_path)
    result = import_ledger(path_or_file=path)
    assert result.ok, result.errors
    assert (result.created, result.updated, len(result.unchanged)) == ([], [], 60)
    assert result.notes[:5] == ["第1行为标题行，已跳过", "第2行为标题行，已跳过", "第C列「当前状态」是导出时附带的只读列，已忽略",
                                "第D列「红黄绿灯」是导出时附带的只读列，已忽略", "第E列「逾期天数」是导出时附带的只读列，已忽略"]


def test_a_derived_date_of_the_export_follows_a_new_actual_date(tmp_path):
    """A date marked 推算 stays derived: after the ledger records land, start is re-derived from it."""
    assert run_import(tmp_path, [base_row()]).ok
    path, sheet = exported_sheet(tmp_path)
    workbook = openpyxl.load_workbook(path)
    sheet = workbook.worksheets[0]
    column = ledger.EXPORT_HEADERS.index("实际供地日期") + 1
    sheet.cell(row=4, column=column, value=datetime.datetime(2026, 5, 10))
    workbook.save(path)
    result = import_ledger(path_or_file=path)
    assert result.ok, result.errors
    start = Project.objects.get().nodes.get(node_type="start")
    assert (start.planned_date, start.planned_is_agreed) == (D(2026, 8, 10), False)
    assert "第4行 计划开工日期: 标为推算的 2026-12-01 按规则重新推算为 2026-08-10" in "\n".join(result.notes)


def test_export_writes_formula_like_text_as_text(tmp_path):
    """A name or remark beginning with = + - @ must never become a formula in the workbook."""
    from projects.excel import safe_text

    result = run_import(tmp_path, [base_row(项目名称=safe_text("=HYPERLINK(\"http://x\",\"点我\")"), 投资方="+86 公司")])
    assert result.ok, result.errors
    Project.objects.update(remark="-1+2")
    path = tmp_path / "export.xlsx"
    with open(path, "wb") as stream:
        export_ledger(projects_queryset=Project.objects.all(), stream=stream)
    sheet = openpyxl.load_workbook(path).worksheets[0]
    cells = {h: c for h, c in zip(ledger.EXPORT_HEADERS, sheet[4])}
    for header, text in (("项目名称", "=HYPERLINK(\"http://x\",\"点我\")"), ("投资方", "+86 公司"), ("备注", "-1+2")):
        assert cells[header].data_type == "s" and cells[header].value == text
        assert cells[header].quotePrefix
    wipe_projects()
    assert import_ledger(path_or_file=path).ok
    assert Project.objects.get().name == "=HYPERLINK(\"http://x\",\"点我\")"


def test_safe_text_keeps_formula_like_strings_out_of_formulas():
    from projects.excel import safe_text

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([safe_text("=1+1"), safe_text("普通文字"), safe_text(5)])
    assert sheet["A1"].data_type == "s" and str(sheet["A1"].value) == "=1+1"
    assert sheet["B1"].value == "普通文字" and sheet["C1"].value == 5


def test_export_query_count_is_constant(tmp_path):
    def queries_for(count, prefix):
        run_import(tmp_path, [base_row(项目编号=f"{prefix}{i}", 联系市领导=None) for i in range(count)], name=f"{prefix}.xlsx")
        with CaptureQueriesContext(connection) as context:
            export_ledger(projects_queryset=Project.objects.filter(code__startswith=prefix), stream=io.BytesIO())
        return len(context)

    assert queries_for(2, "E") == queries_for(20, "F")


def test_module_headers_match_the_domain_contract():
    # 26 headers of section 9 and the 7 optional ones of section 10 (计划达产日期 … 约定单位能耗).
    assert len(HEADERS) == 33 and HEADERS[0] == "项目编号" and ledger.REQUIRED_HEADERS == ("项目编号", "项目名称", "投资方", "总投资")


def test_a_row_without_status_signing_date_or_actual_dates_is_a_lead(tmp_path):
    """Section 9: an empty 状态 is derived from the dates; with none, the project is still 在谈."""
    result = run_import(tmp_path, [base_row(签约日期=None)])
    assert result.ok, result.errors
    project = Project.objects.get()
    assert project.status == Status.NEGOTIATING and project.signing_date is None


def test_actual_dates_without_a_signing_date_are_refused(tmp_path):
    result = run_import(tmp_path, [base_row(签约日期=None, 实际供地日期="2026-04-01")])
    assert any(error.startswith("第2行 签约日期:") for error in result.errors)
    assert nothing_written()


def test_a_node_imported_red_is_escalated_as_soon_as_the_import_commits(tmp_path, eager_tasks,
                                                                        django_capture_on_commit_callbacks):
    """Section 7a: the import runs the same after-change hook as a transition, so a node that is
    already more than 30 days late (land planned 2026-09-01, sign + 6 months) is escalated now; the
    hook is a task queued when the import commits (issue 12), not work inside its transaction."""
    with django_capture_on_commit_callbacks(execute=True) as queued:
        assert run_import(tmp_path, [base_row()]).ok
        assert Node.objects.get(node_type="land").escalated_on is None
    assert len([callback for callback in queued if callback is not new_version]) == 1  # and the cache's version
    land = Node.objects.get(node_type="land")
    assert (land.planned_date, land.escalated_on) == (D(2026, 9, 1), TODAY)


def test_the_imports_notifications_are_made_in_process_when_the_broker_is_down(tmp_path, monkeypatch,
                                                                               django_capture_on_commit_callbacks):
    from notifications import tasks

    def broker_down(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(tasks.projects_changed, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        assert run_import(tmp_path, [base_row()]).ok
    assert Node.objects.get(node_type="land").escalated_on == TODAY


def test_terminated_project_cannot_be_brought_back_by_a_reimport(tmp_path):
    """Section 2: terminated is final; the import says so with the ledger's 状态 as written."""
    run_import(tmp_path, [base_row(状态="已终止")], name="a.xlsx")
    result = run_import(tmp_path, [base_row(状态="已暂停")], name="b.xlsx")
    assert result.errors[0].startswith("第2行 状态: 系统中该项目已终止，台账状态不能为「已暂停」")
    result = run_import(tmp_path, [base_row()], name="c.xlsx")
    assert result.errors[0].startswith("第2行 状态: 系统中该项目已终止，台账状态不能为「空」")
    assert Project.objects.get().status == Status.TERMINATED


def test_summary_names_the_platforms_it_created(tmp_path):
    """所在平台 is free text: an unknown one is created without --create-missing, and the summary
    says which, so a misspelt platform does not pass unnoticed."""
    result = run_import(tmp_path, [base_row(所在平台="新建测试园区")])
    assert result.ok, result.errors
    assert result.created_platforms == ["新建测试园区"]
    assert "新建所在平台：新建测试园区" in result.summary()


def test_a_column_left_out_of_a_reimport_keeps_what_the_system_has(tmp_path):
    """Section 9 (order free, optional columns) with section 3: a ledger without the 联系市领导,
    计划开工日期 and 状态 columns updates what it has, and neither clears the contact leader, nor
    turns the agreed start date back into a derived one, nor resumes the suspended project."""
    Leader.objects.create(name="市长")
    first = base_row(联系市领导="市长", 计划开工日期="2027-01-01", 状态="已暂停", 备注="资金未到位")
    assert run_import(tmp_path, [first], name="a.xlsx").ok
    headers = [h for h in HEADERS if h not in ("联系市领导", "计划开工日期", "状态", "备注")]
    path = write_ledger(tmp_path / "b.xlsx", [base_row(项目名称="改名后的项目")], headers=headers)
    result = import_ledger(path_or_file=path)
    assert result.ok, result.errors
    project = Project.objects.get()
    assert (project.name, project.contact_leader.name, project.status, project.remark) == (
        "改名后的项目", "市长", Status.SUSPENDED, "资金未到位")
    start = project.nodes.get(node_type="start")
    assert (start.planned_date, start.planned_is_agreed) == (D(2027, 1, 1), True)


def test_an_empty_cell_still_clears_on_reimport(tmp_path):
    """Section 9: a column that is there but empty is the ledger's word: no contact leader."""
    Leader.objects.create(name="市长")
    assert run_import(tmp_path, [base_row(联系市领导="市长")], name="a.xlsx").ok
    assert run_import(tmp_path, [base_row(联系市领导=None)], name="b.xlsx").ok
    assert Project.objects.get().contact_leader is None


# --- the export after a LibreOffice re-save -----------------------------------------------------

SOFFICE = shutil.which("soffice")


def libreoffice_resave(path, target, out_dir):
    """`soffice --headless --convert-to`, as an office re-saves the file; its own profile directory
    so that it neither waits for nor disturbs another LibreOffice running on the machine."""
    profile = out_dir / "profile"
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target,
         "--outdir", str(out_dir), str(path)],
        check=True, capture_output=True, timeout=240,
    )
    return out_dir / f"{path.stem}.{target.split(':')[0]}"


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed; .ci/run installs it")
@pytest.mark.parametrize("target", ["xlsx", "xls", 'csv:Text - txt - csv (StarCalc):44,34,76'])
def test_export_resaved_by_libreoffice_round_trips(sample_imported, tmp_path, target):
    """Issue 10: the export re-saved by LibreOffice (as .xlsx, as old .xls, as UTF-8 CSV) imports
    back to exactly the same projects, nodes and history."""
    before = snapshot_all()
    path, _ = exported_sheet(tmp_path)
    resaved = libreoffice_resave(path, target, tmp_path / "resaved")
    wipe_projects()
    result = import_ledger(path_or_file=resaved)
    assert result.ok, result.errors
    assert snapshot_all() == before
