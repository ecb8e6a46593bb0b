"""DOMAIN.md section 9, the files offices really pass around: .xls (WPS, Excel 97–2003), .csv in
UTF-8 or GBK, a title row above the headers, a 合计 row, headers typed with line breaks and
half-width brackets, a hidden 序号 column, a 说明 sheet in front, text dates and amounts with units.
Each file is built here and its import result checked exactly."""

import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import openpyxl
import pytest
import time_machine
import xlwt

from projects.ledger import HEADERS, import_ledger
from projects.models import Currency, Project, Status

pytestmark = pytest.mark.django_db

D = datetime.date
TITLE = "嵊州市2025年重大项目台账"
# How an office types the headers: 序号 first, a wrapped header, half-width brackets.
OFFICE_HEADERS = ["序号", "项目编号", "项目名称", "投资方", "总投资", "计量单位", "是否制造业", "产业集群", "项目来源",
                  "责任单位", "用地面积(亩)", "签约日期", "计划供地\n日期", "实际供地日期"]


@pytest.fixture(autouse=True, params=["in-process", "child process"])
def reading(request, monkeypatch):
    """Every file read both ways: in-process, and .xlsx by projects.sheet_reader's child (issue 12),
    which the importer starts for large workbooks only."""
    if request.param == "child process":
        from projects import sheet_reader

        monkeypatch.setattr(sheet_reader, "MIN_BYTES", 0)
        monkeypatch.setattr(sheet_reader, "HEAD_ROWS", 3)
        monkeypatch.setattr(sheet_reader, "CHUNK_ROWS", 2)
    return request.param


@pytest.fixture(autouse=True)
def _today_is_25_november_2026():
    with time_machine.travel(datetime.datetime(2026, 11, 25, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        yield


def office_rows():
    """Two projects as an office types them, then the 合计 row."""
    return [
        [1, "SZ2025-0101", "嵊州精密轴承项目", "浙江轴承有限公司", "6亿元", None, "是", "高端装备", "外引",
         "市经信局", 80, "2025.3.1", "2025年9月1日", "20250815"],
        [2, "SZ2025-0102", "嵊州智能厨电项目", "嵊州厨电有限公司", "1,200", "万美元", "是", "智能家居", "内生",
         "市经信局", 30, "2025/4/8", None, None],
        [None, None, "合计", None, None, None, None, None, None, None, 110, None, None, None],
    ]


# The notes every office file of these rows gives, after its file-level ones (row numbers count the title row).
ROW_NOTES = [
    "第3行 总投资: 「6亿元」按总投资 6、计量单位「亿元」读取",
    "第3行 签约日期: 「2025.3.1」按 2025-03-01 读取",
    "第3行 计划供地日期: 「2025年9月1日」按 2025-09-01 读取",
    "第3行 实际供地日期: 「20250815」按 2025-08-15 读取",
    "第4行 签约日期: 「2025/4/8」按 2025-04-08 读取",
    "第5行为合计行，已跳过",
]
HEADER_NOTES = [
    "第1行为标题行，已跳过",
    "第A列「序号」为隐藏列，已忽略",
    "第K列「用地面积(亩)」按「用地面积（亩）」读取",
    "第M列「计划供地 日期」按「计划供地日期」读取",
]


def assert_office_projects_imported():
    first = Project.objects.get(code="SZ2025-0101")
    assert (first.total_investment, first.currency, first.signing_date, first.status, first.land_area) == (
        Decimal("60000"), Currency.CNY, D(2025, 3, 1), Status.LAND_ACQUIRED, Decimal("80"))
    land = first.nodes.get(node_type="land")
    assert (land.planned_date, land.planned_is_agreed, land.actual_date) == (D(2025, 9, 1), True, D(2025, 8, 15))
    second = Project.objects.get(code="SZ2025-0102")
    assert (second.total_investment, second.currency, second.signing_date, second.status) == (
        Decimal("1200"), Currency.USD, D(2025, 4, 8), Status.SIGNED)
    assert Project.objects.count() == 2


def write_xls(path, *, with_readme=True):
    workbook = xlwt.Workbook(encoding="utf-8")
    if with_readme:
        workbook.add_sheet("说明").write(0, 0, "本表由各责任单位每月填报，红色为必填列。")
    sheet = workbook.add_sheet("项目台账")
    sheet.write_merge(0, 0, 0, len(OFFICE_HEADERS) - 1, TITLE)
    for column, header in enumerate(OFFICE_HEADERS):
        sheet.write(1, column, header)
    for row_index, values in enumerate(office_rows(), start=2):
        for column, value in enumerate(values):
            if value is not None:
                sheet.write(row_index, column, value)
    sheet.col(0).hidden = True
    workbook.save(str(path))
    return path


def write_xlsx(path):
    workbook = openpyxl.Workbook()
    readme = workbook.active
    readme.title = "说明"
    readme["A1"] = "本表由各责任单位每月填报。"
    sheet = workbook.create_sheet("项目台账")
    sheet.append([TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(OFFICE_HEADERS))
    sheet.append(OFFICE_HEADERS)
    for values in office_rows():
        sheet.append(values)
    sheet.column_dimensions["A"].hidden = True
    workbook.save(path)
    return path


def csv_bytes(encoding):
    lines = [",".join(f'"{h}"' if "\n" in h else h for h in OFFICE_HEADERS)]
    for values in office_rows():
        lines.append(",".join(f'"{v}"' if "," in str(v) else ("" if v is None else str(v)) for v in values))
    return ("\r\n".join([TITLE, *lines]) + "\r\n").encode(encoding)


def test_an_old_xls_with_a_readme_sheet_title_row_hidden_column_and_total_row_imports(tmp_path):
    """Section 9: .xls is read (xlrd); the data sheet is the first with the required headers, the
    title row, the hidden 序号 column and the 合计 row are skipped, and every one is reported."""
    result = import_ledger(path_or_file=write_xls(tmp_path / "台账.xls"), dry_run=True)
    assert result.ok, result.errors
    assert result.notes == [
        "读取第2个工作表「项目台账」；工作表「说明」没有台账表头，未读取", *HEADER_NOTES, *ROW_NOTES]
    assert result.created == ["SZ2025-0101", "SZ2025-0102"]
    assert "第5行为合计行，已跳过" in result.summary() and "试运行" in result.summary()
    assert Project.objects.count() == 0


def test_an_old_xls_writes_the_projects_it_describes(tmp_path):
    result = import_ledger(path_or_file=write_xls(tmp_path / "台账.xls", with_readme=False))
    assert result.ok, result.errors
    assert result.notes == [*HEADER_NOTES, *ROW_NOTES]
    assert_office_projects_imported()


def test_an_xlsx_with_a_merged_title_row_and_office_headers_imports(tmp_path):
    result = import_ledger(path_or_file=write_xlsx(tmp_path / "台账.xlsx"))
    assert result.ok, result.errors
    assert result.notes == [
        "读取第2个工作表「项目台账」；工作表「说明」没有台账表头，未读取", *HEADER_NOTES, *ROW_NOTES]
    assert_office_projects_imported()


@pytest.mark.parametrize("encoding,label", [("utf-8", "UTF-8"), ("utf-8-sig", "UTF-8（带 BOM）"), ("gbk", "GBK/GB18030"),
                                            ("gb18030", "GBK/GB18030")])
def test_a_csv_in_utf8_or_gbk_is_detected_and_imported(tmp_path, encoding, label):
    """Section 9: .csv in UTF-8 with or without BOM, or GBK/GB18030, detected from the bytes."""
    path = tmp_path / "台账.csv"
    path.write_bytes(csv_bytes(encoding))
    result = import_ledger(path_or_file=path)
    assert result.ok, result.errors
    # A CSV has no hidden columns: 序号 is simply ignored.
    assert result.notes == [f"按 {label} 编码读取 CSV 文件", "第1行为标题行，已跳过", "第A列「序号」已忽略",
                            *HEADER_NOTES[2:], *ROW_NOTES]
    assert_office_projects_imported()


def test_an_upload_without_a_file_name_is_recognised_by_its_bytes(tmp_path):
    upload = io.BytesIO(write_xls(tmp_path / "x.xls").read_bytes())
    result = import_ledger(path_or_file=upload, dry_run=True)
    assert result.ok, result.errors and result.created == ["SZ2025-0101", "SZ2025-0102"]


@pytest.mark.parametrize("content,expected", [
    (b"PK\x03\x04 not really a zip", "无法读取文件：不是有效的 .xlsx 文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "无法读取文件：不是有效的 .xls 文件"),
    (b"\x00\x01\x02\xff\xfe\x00binary", "无法读取文件：不是 .xlsx、.xls 或 .csv 文件"),
    (b"", "文件是空的"),
])
def test_an_unreadable_file_is_refused_in_chinese_without_library_text(tmp_path, content, expected):
    path = tmp_path / "bad.xls"
    path.write_bytes(content)
    result = import_ledger(path_or_file=path)
    assert len(result.errors) == 1 and result.errors[0].startswith(expected), result.errors
    assert not any(ch.isascii() and ch.isalpha() for ch in result.errors[0].replace("xlsx", "").replace("xls", "")
                   .replace("csv", "").replace("CSV", "").replace("UTF", "").replace("GBK", "").replace("MB", ""))


def test_a_file_without_the_required_headers_anywhere_says_what_it_looked_for(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("姓名,电话\n张三,123\n", encoding="utf-8")
    result = import_ledger(path_or_file=path)
    assert result.errors == ["文件的前 20 行中没有找到台账表头（须有：项目编号、项目名称、投资方、总投资）"]


def test_a_header_with_a_line_break_is_reported_on_one_line(tmp_path):
    """An unknown header typed with Alt+Enter is named on one line in the error."""
    path = tmp_path / "x.csv"
    path.write_text('项目编号,项目名称,投资方,总投资,"负责\n人"\n', encoding="utf-8")
    result = import_ledger(path_or_file=path)
    assert result.errors == ["第1行 负责 人: 未知的表头"]


def test_an_unknown_header_in_a_hidden_column_says_it_is_hidden(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([*HEADERS, "辅助列"])
    sheet.column_dimensions[openpyxl.utils.get_column_letter(len(HEADERS) + 1)].hidden = True
    workbook.save(tmp_path / "x.xlsx")
    result = import_ledger(path_or_file=tmp_path / "x.xlsx")
    assert result.errors == ["第1行 辅助列: 未知的表头（隐藏列）"]


@pytest.mark.parametrize("text", ["2025-03-01", "2025-3-1", "2025/3/1", "2025/03/01", "2025.3.1", "2025年3月1日",
                                  "2025年03月01日", "20250301", "2025-03-01 00:00:00"])
def test_text_dates_in_the_listed_forms_are_read(tmp_path, text):
    path = tmp_path / "x.csv"
    path.write_text(f"项目编号,项目名称,投资方,总投资,签约日期,状态\nA1,甲项目,甲公司,100,{text},在谈\n", encoding="utf-8")
    result = import_ledger(path_or_file=path, dry_run=True)
    assert result.ok, result.errors
    expected = [] if text == "2025-03-01" else [f"第2行 签约日期: 「{text}」按 2025-03-01 读取"]
    assert result.notes == ["按 UTF-8 编码读取 CSV 文件", *expected]


@pytest.mark.parametrize("cell,unit,amount,currency", [
    ("6亿元", "", Decimal("60000"), Currency.CNY),
    ("8000万元", "", Decimal("8000"), Currency.CNY),
    ("1.2亿美元", "", Decimal("12000"), Currency.USD),
    ("500万美元", "万美元", Decimal("500"), Currency.USD),
    ("12,500", "万元", Decimal("12500"), Currency.CNY),
    ("1,200万元", "", Decimal("1200"), Currency.CNY),
])
def test_amounts_with_their_unit_and_thousands_separators_are_read(tmp_path, cell, unit, amount, currency):
    path = tmp_path / "x.csv"
    path.write_text(f'项目编号,项目名称,投资方,总投资,计量单位,状态\nA1,甲项目,甲公司,"{cell}",{unit},在谈\n',
                    encoding="utf-8")
    result = import_ledger(path_or_file=path)
    assert result.ok, result.errors
    project = Project.objects.get()
    assert (project.total_investment, project.currency) == (amount, currency)


@pytest.mark.parametrize("word", ["合计", "小计", "总计：2个项目"])
def test_a_total_row_is_skipped_and_reported_whatever_its_word(tmp_path, word):
    path = tmp_path / "x.csv"
    path.write_text(f"项目编号,项目名称,投资方,总投资,状态\nA1,甲项目,甲公司,100,在谈\n,{word},,100,\n", encoding="utf-8")
    result = import_ledger(path_or_file=path)
    assert result.ok, result.errors
    assert result.notes[-1] == f"第3行为{word[:2]}行，已跳过"


def test_a_row_with_a_code_is_never_a_total_row(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("项目编号,项目名称,投资方,总投资,状态\nA1,合计项目,甲公司,100,在谈\n", encoding="utf-8")
    result = import_ledger(path_or_file=path)
    assert result.ok and Project.objects.get().name == "合计项目"


def test_a_bad_row_in_an_office_file_still_refuses_everything(tmp_path):
    """All or nothing holds for every file kind; the skipped rows are still listed with the errors."""
    path = tmp_path / "x.csv"
    path.write_text("嵊州台账\n项目编号,项目名称,投资方,总投资,状态\nA1,甲项目,甲公司,100,在谈\nA2,乙项目,乙公司,两亿,在谈\n",
                    encoding="gbk")
    result = import_ledger(path_or_file=path)
    assert result.errors == ["第4行 总投资: 应为数字，而不是「两亿」"]
    assert "第1行为标题行，已跳过" in result.summary()
    assert Project.objects.count() == 0
