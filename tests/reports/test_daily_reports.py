"""Issue 9 section 6: the 1330 workbook explains its numbers, says when it has no task split, and
the leader PDF keeps long project codes inside their column."""

import datetime
import io
import subprocess

import pytest
from openpyxl import load_workbook
from reportlab.pdfbase.pdfmetrics import stringWidth

from reports import pdf
from reports.models import PlatformTarget
from reports.selectors import pace
from reports.xlsx import progress_1330_xlsx
from tests.factories import LeaderFactory, ProjectFactory

D = datetime.date
pytestmark = pytest.mark.django_db


def test_the_expected_count_is_a_whole_number_of_projects_rounded_up():
    # 2026-11-26: day 330 of 365 → 40 × 0.9041 = 36.16 → 37 projects to be on pace.
    result = pace(count=36, target=40, year=2026, as_of=D(2026, 11, 26))
    assert result["expected"] == 37 and result["gap"] == -1 and result["status"] == "behind"
    assert pace(count=1, target=1, year=2026, as_of=D(2026, 11, 26))["expected"] == 1


def test_an_exact_expected_count_is_not_rounded_up():
    # 2026-07-02 is day 183 of 365: 365 × 183/365 = 183 exactly.
    assert pace(count=0, target=365, year=2026, as_of=D(2026, 7, 2))["expected"] == 183


def test_the_1330_summary_labels_every_number(rich_ledger):
    book = load_workbook(io.BytesIO(progress_1330_xlsx(year=2026, as_of=rich_ledger["as_of"])))
    rows = {row[0].value: (row[1].value, row[2].value) for row in book["汇总"].iter_rows(min_row=2)}
    value, note = rows["亿元以上制造业项目·序时应完成（个）"]
    assert isinstance(value, int) and "向上取整" in note
    # Every note is words, never a bare number.
    assert all(not isinstance(note, (int, float)) for _, note in rows.values())
    assert "序时应完成" in rows["亿元以上制造业项目·进度判断"][1]


def test_the_task_split_sheet_says_when_no_split_is_set(rich_ledger):
    PlatformTarget.objects.all().delete()
    book = load_workbook(io.BytesIO(progress_1330_xlsx(year=2026, as_of=rich_ledger["as_of"])))
    values = [c.value for row in book["任务分解"].iter_rows(min_row=2) for c in row if c.value]
    assert values == ["2026年未设置任务分解（系统管理 → 平台任务分解）"]


def test_a_long_project_code_gets_a_column_wide_enough():
    pdf.register_font()
    rows = [[1, "HX2024-0015", "某项目"]]
    widths = pdf.fit_widths(["序号", "项目编号", "项目名称"], rows, [0.1, 0.1, 0.8], nowrap=(1,), wrap=(2,))
    need = stringWidth("HX2024-0015", pdf.FONT, pdf.CELL_FONT_SIZE) + 2 * pdf.CELL_PADDING
    assert widths[1] * pdf.BODY_WIDTH >= need
    assert sum(widths) == pytest.approx(1.0)


def test_the_leader_report_keeps_long_codes_whole(tmp_path):
    leader = LeaderFactory(name="常务副市长")
    ProjectFactory(code="HX2024-0015", name="年产 30 万套高端智能家居生产线建设项目", contact_leader=leader,
                   signing_date=D(2024, 3, 1), planned={"land": D(2024, 9, 1)})
    path = tmp_path / "leader.pdf"
    path.write_bytes(pdf.leader_report_pdf(leader=leader, as_of=D(2026, 6, 30)))
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True).stdout
    assert "HX2024-0015" in text
