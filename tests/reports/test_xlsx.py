"""The reports as workbooks (issue 4): frozen header, widths, dates as dates, 万元/亿元 formats,
text beginning with = + - @ kept as text."""

import datetime
import io
from decimal import Decimal

from openpyxl import load_workbook

from projects.models import Currency
from reports.xlsx import bulletin_xlsx, leader_report_xlsx, progress_1330_xlsx
from tests.factories import ProjectFactory


def open_book(content: bytes):
    return load_workbook(io.BytesIO(content))


def test_the_1330_workbook(rich_ledger):
    book = open_book(progress_1330_xlsx(year=2026, as_of=rich_ledger["as_of"]))
    assert book.sheetnames == ["汇总", "分月", "分类", "节点推进", "任务分解", "项目清单"]
    for sheet in book:
        assert sheet.freeze_panes == "A2"
    listing = book["项目清单"]
    headers = [c.value for c in listing[1]]
    assert headers[:5] == ["项目编号", "项目名称", "总投资（万）", "总投资（亿）", "签约日期"]
    assert listing.column_dimensions["B"].width == 30
    rows = {row[0].value: row for row in listing.iter_rows(min_row=2)}
    cny = rows["SZ2026-003"]
    assert cny[2].value == 150000 and cny[2].number_format.endswith('"万元"')
    assert cny[3].value == 15 and cny[3].number_format.endswith('"亿元"')
    usd = rows["SZ2026-001"]
    assert usd[2].number_format.endswith('"万美元"') and usd[3].number_format.endswith('"亿美元"')
    assert isinstance(cny[4].value, datetime.datetime) and cny[4].value.date() == datetime.date(2026, 3, 5)
    summary = {row[0].value: row[1] for row in book["汇总"].iter_rows(min_row=2)}
    assert summary["时间进度（序时进度）"].value == 0.4932  # 180 / 365
    assert summary["时间进度（序时进度）"].number_format == "0.0%"
    assert summary["亿元以上制造业项目·已完成（个）"].value == 16


def test_formula_like_text_is_written_as_text(db):
    ProjectFactory(code="F01", name="=HYPERLINK(\"http://x\")", signing_date=datetime.date(2026, 2, 1),
                   total_investment=Decimal("20000"), currency=Currency.CNY)
    ProjectFactory(code="F02", name="+1 项目", signing_date=datetime.date(2026, 2, 2))
    ProjectFactory(code="F03", name="-1 项目", signing_date=datetime.date(2026, 2, 3))
    ProjectFactory(code="F04", name="@SUM(A1)", signing_date=datetime.date(2026, 2, 4))
    book = open_book(progress_1330_xlsx(year=2026, as_of=datetime.date(2026, 6, 30)))
    names = {row[0].value: row[1] for row in book["项目清单"].iter_rows(min_row=2)}
    for code, text in (("F01", "=HYPERLINK(\"http://x\")"), ("F02", "+1 项目"), ("F03", "-1 项目"),
                       ("F04", "@SUM(A1)")):
        assert names[code].data_type == "s", code
        assert names[code].value == text


def test_the_bulletin_and_leader_workbooks(rich_ledger):
    book = open_book(bulletin_xlsx(as_of=rich_ledger["as_of"]))
    assert book.sheetnames == ["新签约项目", "完成节点", "亮灯晾晒", "问题答复排名", "逾期节点", "逾期未答复问题",
                               "超14天未办结问题", "暂停项目", "要素汇总", "逾期未保障", "30天内需保障", "本周达产", "达产复核",
                               "亩均排名"]
    overdue = book["逾期节点"]
    assert overdue.freeze_panes == "A2"
    assert overdue.max_row == 1 + 17
    assert isinstance(overdue["D2"].value, datetime.datetime)
    leader = open_book(leader_report_xlsx(leader=rich_ledger["leader"], as_of=rich_ledger["as_of"]))
    assert leader.sheetnames == ["联系项目", "逾期节点", "即将到期", "待协调问题"]
    assert leader["联系项目"].max_row == 1 + 15
