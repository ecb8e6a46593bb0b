"""DOMAIN.md section 11: the ledger's optional 要素保障 sheet — import (all or nothing; re-import replaces
a project's needs as a whole; what was secured stays evidence) and export (exact round trip)."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine

from milestones.models import FactorNeed, FactorSecured
from projects.ledger import HEADERS, export_ledger, import_ledger
from projects.ledger_factors import HEADERS as FACTOR_HEADERS
from projects.models import Project
from tests.projects.test_ledger import base_row

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture(autouse=True)
def _today_is_25_november_2026():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def workbook_bytes(projects, factors, *, factor_headers=FACTOR_HEADERS):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "项目台账"
    sheet.append(list(HEADERS))
    for row in projects:
        sheet.append([row.get(header) for header in HEADERS])
    if factors is not None:
        factor_sheet = workbook.create_sheet("要素保障")
        factor_sheet.append(list(factor_headers))
        for row in factors:
            factor_sheet.append(list(row))
    stream = io.BytesIO()
    workbook.save(stream)
    stream.seek(0)
    return stream


def needs():
    return {(n.project.code, n.factor_type): (n.needed, n.secured, n.needed_by_set)
            for n in FactorNeed.objects.select_related("project")}


CODE = "SZ2026-9001"


def test_the_sheet_states_each_projects_needs():
    result = import_ledger(path_or_file=workbook_bytes([base_row()], [
        (CODE, "土地", 50, 20, None), (CODE, "能耗", "1,200.5", None, "2027-03-01")]))
    assert result.ok, result.errors
    assert needs() == {(CODE, "land"): (50, 20, None), (CODE, "energy"): (Decimal("1200.5"), 0, D(2027, 3, 1))}
    [record] = FactorSecured.objects.all()
    assert (record.amount, record.document) == (20, "项目台账导入")


def test_a_workbook_without_the_sheet_leaves_the_needs_alone():
    import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "土地", 50, 0, None)]))
    assert import_ledger(path_or_file=workbook_bytes([base_row(项目名称="改名")], None)).ok
    assert needs() == {(CODE, "land"): (50, 0, None)}


def test_re_importing_replaces_a_projects_needs_as_a_whole():
    import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "土地", 50, 0, None), (CODE, "资金", 9000, 0, None)]))
    result = import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "能耗", 300, 0, None)]))
    assert result.ok, result.errors
    assert needs() == {(CODE, "energy"): (300, 0, None)}


def test_a_lower_secured_amount_is_recorded_as_a_correcting_record_not_an_edit():
    import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "土地", 50, 30, None)]))
    import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "土地", 50, 25, None)]))
    assert list(FactorSecured.objects.order_by("id").values_list("amount", flat=True)) == [30, -5]
    assert needs()[(CODE, "land")][1] == 25


def test_a_need_with_evidence_cannot_be_removed_by_an_import():
    import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "土地", 50, 30, None), (CODE, "资金", 10, 0, None)]))
    result = import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "资金", 10, 0, None)]))
    assert not result.ok and any("已有保障记录" in line for line in result.errors)
    assert (CODE, "land") in needs()


@pytest.mark.parametrize("row, header, reason", [
    ((CODE, "水", 5, 0, None), "要素类型", "不是可选值"),
    ((CODE, "土地", 0, 0, None), "需求量", "须大于 0"),
    ((CODE, "土地", None, 0, None), "需求量", "必填"),
    ((CODE, "土地", 5, -1, None), "已保障量", "不能小于 0"),
    ((CODE, "土地", 5, 0, "明年"), "需保障日期", "不是日期"),
    (("NOPE", "土地", 5, 0, None), "项目编号", "都没有项目"),
])
def test_a_bad_cell_in_the_sheet_refuses_the_whole_import(row, header, reason):
    result = import_ledger(path_or_file=workbook_bytes([base_row()], [row]))
    assert not result.ok
    assert any(line.startswith("要素保障 第2行 " + header) and reason in line for line in result.errors), result.errors
    assert not Project.objects.exists() and not FactorNeed.objects.exists()


def test_the_same_type_twice_for_a_project_is_refused():
    result = import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "土地", 5, 0, None),
                                                                      (CODE, "土地", 6, 0, None)]))
    assert any("与第2行重复" in line for line in result.errors)


def test_an_unknown_header_in_the_sheet_is_refused():
    result = import_ledger(path_or_file=workbook_bytes(
        [base_row()], [(CODE, "土地", 5, 0, None, "x")], factor_headers=[*FACTOR_HEADERS, "备注栏"]))
    assert any(line.startswith("要素保障 第1行 备注栏") for line in result.errors)


def test_a_dry_run_writes_no_need():
    assert import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "土地", 5, 0, None)]), dry_run=True).ok
    assert not FactorNeed.objects.exists()


@pytest.mark.parametrize("second_sheet", [
    [(CODE, "土地", 60, 0, None)],  # a need changed
    [(CODE, "土地", 50, 10, None)],  # more secured
    [(CODE, "土地", 50, 0, None), (CODE, "资金", 100, 0, None)],  # a need added
    [(CODE, "资金", 100, 0, None)],  # the land need replaced
])
def test_a_dry_run_counts_a_project_whose_only_change_is_its_needs_as_updated(second_sheet):
    """The dry run's summary (确认导入) says what the import will do: a 要素保障-only change is an update."""
    import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "土地", 50, 0, None)]))
    dry = import_ledger(path_or_file=workbook_bytes([base_row()], second_sheet), dry_run=True)
    assert (dry.updated, dry.unchanged) == ([CODE], [])
    assert needs() == {(CODE, "land"): (50, 0, None)}
    real = import_ledger(path_or_file=workbook_bytes([base_row()], second_sheet))
    assert (real.updated, real.unchanged) == (dry.updated, dry.unchanged)


def test_a_dry_run_of_the_same_needs_is_no_change():
    import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "土地", 50, 0, None)]))
    dry = import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "土地", 50, 0, None)]), dry_run=True)
    assert (dry.updated, dry.unchanged) == ([], [CODE])


def test_an_overdue_need_from_the_sheet_opens_its_problem():
    from projects.models import Problem

    result = import_ledger(path_or_file=workbook_bytes([base_row()], [(CODE, "资金", 800, 0, "2026-10-01")]))
    assert result.ok
    assert Problem.objects.filter(category="funding").count() == 1


def test_export_then_import_round_trips_exactly():
    import_ledger(path_or_file=workbook_bytes(
        [base_row(), base_row(项目编号="SZ2026-9002", 是否需新供地="否", **{"用地面积（亩）": None})],
        [(CODE, "土地", "50.25", "20.1", None), (CODE, "资金", 12000, 12000, "2027-01-31"),
         ("SZ2026-9002", "土地", 3, 0, None), ("SZ2026-9002", "能耗", "1234.5678", "0.0001", None)]))
    before = needs()
    records = FactorSecured.objects.count()
    stream = io.BytesIO()
    export_ledger(projects_queryset=Project.objects.order_by("code"), stream=stream)
    stream.seek(0)
    exported = openpyxl.load_workbook(stream)
    assert [c.value for c in exported["要素保障"][1]] == FACTOR_HEADERS
    stream.seek(0)
    result = import_ledger(path_or_file=stream)
    assert result.ok, result.errors
    assert needs() == before and FactorSecured.objects.count() == records
    assert result.updated == []
