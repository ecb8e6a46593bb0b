"""Each PDF rendered to PNG (test-artifacts/reports/, looked at by a person) and its text and fonts
checked with poppler (issue 4: readable Chinese, embedded font, repeated headers, page numbers)."""

import datetime
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

from projects.models import Status
from reports.bulletin import bulletin_pdf
from reports.pdf import leader_report_pdf, progress_1330_pdf
from tests.factories import LeaderFactory, ProjectFactory, UnitFactory

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "reports"
D = datetime.date


@pytest.fixture
def poppler():
    if shutil.which("pdftoppm") is None or shutil.which("pdftotext") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("poppler-utils (pdftoppm, pdftotext, pdffonts) is required under CI")
        pytest.skip("poppler-utils is not installed")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)


def save_and_render(content: bytes, name: str) -> Path:
    """Write the PDF and one PNG per page beside it, for a person to look at."""
    assert content.startswith(b"%PDF")
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(content)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(path), str(ARTIFACTS / name)], check=True)
    assert list(ARTIFACTS.glob(f"{name}-*.png"))
    return path


def page_texts(path: Path) -> list[str]:
    """Each page's text with whitespace removed (pdftotext's spacing follows the layout, not the source)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [re.sub(r"\s+", "", page) for page in text.split("\f")[:-1]]


def assert_fonts_embedded(path: Path):
    """pdffonts lists only the embedded WenQuanYi subset: no font left to the reader's machine."""
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert lines
    for line in lines:
        assert "WenQuanYi" in line, line
        assert re.search(r"\s+yes\s+yes\s+yes\s+", line), line


def assert_page_numbers(pages: list[str]):
    total = len(pages)
    for number, page in enumerate(pages, start=1):
        assert f"第{number}页共{total}页" in page


def test_the_1330_pdf_reads_in_chinese_with_chart_and_numbers(rich_ledger, poppler):
    path = save_and_render(progress_1330_pdf(year=2026, as_of=rich_ledger["as_of"]), "progress_1330")
    assert_fonts_embedded(path)
    pages = page_texts(path)
    assert_page_numbers(pages)
    text = "\n".join(pages)
    assert "嵊州市亿元以上制造业项目招引进度通报" in text
    assert "2026年度（截至2026年6月29日）" in text
    assert "共引进亿元以上制造业项目16个" in text
    assert "慢于序时进度" in text
    assert "目标40个的序时进度线" in text  # the chart's legend
    assert "SZ2026-101" in text and "本周签约的高端装备项目" in text
    assert "平台任务分解完成情况" in text


def test_the_bulletin_pdf_lists_a_long_overdue_table_with_repeated_headers(db, poppler):
    unit = UnitFactory(name="市经信局")
    leader = LeaderFactory(name="王副市长")
    for i in range(90):
        ProjectFactory(code=f"OV{i:03d}", name=f"逾期测试项目{i}", responsible_unit=unit, contact_leader=leader,
                       signing_date=D(2025, 1, 1) + datetime.timedelta(days=i), status=Status.SIGNED)
    path = save_and_render(bulletin_pdf(as_of=D(2026, 6, 29)), "bulletin")
    assert_fonts_embedded(path)
    pages = page_texts(path)
    assert len(pages) >= 3
    assert_page_numbers(pages)
    text = "\n".join(pages)
    assert "嵊州市重大项目推进情况通报" in text and "2026年第27期" in text
    assert "逾期节点清单" in text and "OV000" in text and "OV089" in text
    # The overdue table's header comes back on every page it continues onto.
    pages_with_rows = [page for page in pages if re.search(r"OV0\d\d", page)]
    assert len(pages_with_rows) >= 2
    for page in pages_with_rows:
        assert "序号项目编号项目名称节点计划日期逾期天数亮灯责任单位联系市领导" in page


def test_the_bulletin_pdf_of_the_rich_ledger(rich_ledger, poppler):
    path = save_and_render(bulletin_pdf(as_of=rich_ledger["as_of"]), "bulletin_rich")
    assert_fonts_embedded(path)
    text = "\n".join(page_texts(path))
    for heading in ("本周新签约项目", "本周完成关键节点", "各责任单位项目亮灯情况（晾晒）", "问题按时答复情况排名",
                    "逾期未答复问题", "提出超过14天未办结的问题", "暂停项目"):
        assert heading in text
    assert "暂停中的纺织项目" in text and "投资方资金未到位" in text


def test_the_leader_report_pdf(rich_ledger, poppler):
    path = save_and_render(leader_report_pdf(leader=rich_ledger["leader"], as_of=rich_ledger["as_of"]), "leader")
    assert_fonts_embedded(path)
    pages = page_texts(path)
    assert_page_numbers(pages)
    text = "\n".join(pages)
    assert "市领导联系重大项目情况报告" in text and "联系市领导：张副市长" in text
    assert "SZ2026-002" in text  # an odd-numbered (张副市长's) project
    assert "SZ2026-003" not in text.split("一、联系项目一览")[1].split("二、逾期节点")[0]
