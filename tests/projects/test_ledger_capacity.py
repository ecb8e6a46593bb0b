"""Section 10 in the ledger (DOMAIN.md section 11's contract): 计划达产日期, 实际达产日期 and the
标准地 agreed indicators 约定投资强度 … 约定单位能耗, optional columns that round-trip."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest

from projects.ledger import AGREED_HEADERS, HEADERS, export_ledger, import_ledger
from projects.models import Project, Status

from .test_ledger import _today_is_25_november_2026  # noqa: F401  (autouse: the frozen clock)
from .test_ledger import base_row, nothing_written, run_import, write_ledger

pytestmark = pytest.mark.django_db
D = datetime.date
PRODUCING = {"实际供地日期": "2024-06-01", "实际开工日期": "2024-09-01", "实际入库日期": "2024-10-01",
             "实际投产日期": "2025-01-10", "统计库项目代码": "33068300000001", "签约日期": "2024-03-01"}



def test_the_ledger_has_the_optional_section_10_headers():
    assert {"计划达产日期", "实际达产日期", "约定投资强度", "约定亩均税收", "约定亩均产值", "约定容积率",
            "约定单位能耗"} <= set(HEADERS)


def test_agreed_indicators_and_the_agreed_capacity_date_are_imported(tmp_path):
    result = run_import(tmp_path, [base_row(**PRODUCING, 约定投资强度=300, 约定亩均税收="25.5", 约定单位能耗=0.08,
                                            计划达产日期="2026-12-31")])
    assert result.ok, result.errors
    project = Project.objects.get()
    assert (project.agreed_investment_intensity, project.agreed_tax_per_mu, project.agreed_energy_per_output,
            project.agreed_output_per_mu) == (Decimal("300"), Decimal("25.5"), Decimal("0.08"), None)
    assert project.status == Status.IN_PRODUCTION
    assert project.nodes.get(node_type="capacity").planned_date == D(2026, 12, 31)


def test_an_actual_capacity_date_puts_the_project_at_capacity(tmp_path):
    assert run_import(tmp_path, [base_row(**PRODUCING, 实际达产日期="2026-10-01")]).ok
    project = Project.objects.get()
    assert project.status == Status.AT_CAPACITY
    assert project.nodes.get(node_type="capacity").actual_date == D(2026, 10, 1)


def test_a_project_with_agreed_indicators_needs_its_review_before_the_ledger_puts_it_at_capacity(tmp_path):
    result = run_import(tmp_path, [base_row(**PRODUCING, 约定容积率=1.2, 实际达产日期="2026-10-01")])
    assert any(line.startswith("第2行 实际达产日期:") and "达产复核" in line for line in result.errors), result.errors
    assert nothing_written()


@pytest.mark.parametrize("header", ["约定投资强度", "约定亩均税收", "约定亩均产值"])
def test_a_row_without_land_area_cannot_agree_per_mu_indicators(tmp_path, header):
    row = base_row(是否需新供地="否", **{"用地面积（亩）": None, header: 100})
    result = run_import(tmp_path, [row])
    assert result.errors == [f"第2行 {header}: 未填写用地面积（亩）的项目不能约定按亩计算的指标（只能约定容积率、单位能耗）"]
    assert nothing_written()


def test_a_row_without_land_area_may_agree_plot_ratio_and_energy_use(tmp_path):
    row = base_row(是否需新供地="否", **{"用地面积（亩）": None}, 约定容积率=1.5, 约定单位能耗=0.05)
    assert run_import(tmp_path, [row]).ok


@pytest.mark.parametrize("value", [0, -1])
def test_an_agreed_indicator_must_be_above_zero(tmp_path, value):
    result = run_import(tmp_path, [base_row(约定容积率=value)])
    assert result.errors == ["第2行 约定容积率: 必须大于 0"]


def test_terminating_a_project_at_capacity_is_refused(tmp_path):
    result = run_import(tmp_path, [base_row(**PRODUCING, 实际达产日期="2026-10-01", 状态="已终止")])
    assert any(line.startswith("第2行 状态: 项目当前为「已达产」，不能办理终止") for line in result.errors), result.errors


def test_export_then_import_round_trips_the_section_10_columns(tmp_path):
    assert run_import(tmp_path, [base_row(**PRODUCING, 实际达产日期="2026-10-01", 约定单位能耗=0.08,
                                          计划达产日期="2026-12-31")], name="a.xlsx").ok is False  # needs review
    assert run_import(tmp_path, [base_row(**PRODUCING, 约定单位能耗=0.08, 计划达产日期="2026-12-31")]).ok
    stream = io.BytesIO()
    export_ledger(projects_queryset=Project.objects.all(), stream=stream)
    sheet = openpyxl.load_workbook(io.BytesIO(stream.getvalue())).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header_row = next(i for i, r in enumerate(rows) if r and "项目编号" in r)
    exported = dict(zip(rows[header_row], rows[header_row + 1]))
    assert exported["约定单位能耗"] == 0.08 and exported["计划达产日期"].date() == D(2026, 12, 31)
    path = tmp_path / "again.xlsx"
    path.write_bytes(stream.getvalue())
    again = import_ledger(path_or_file=path)
    assert again.ok and again.unchanged == ["SZ2026-9001"], (again.errors, again.updated)


def test_a_ledger_without_the_section_10_columns_keeps_the_agreement(tmp_path):
    assert run_import(tmp_path, [base_row(约定亩均产值=500)]).ok
    short = [h for h in HEADERS if h not in AGREED_HEADERS.values()]
    path = write_ledger(tmp_path / "short.xlsx", [base_row(项目名称="改名")], headers=short)
    assert import_ledger(path_or_file=path).ok
    project = Project.objects.get()
    assert (project.name, project.agreed_output_per_mu) == ("改名", Decimal("500"))
