"""The PDF tables (reports.pdf.GridTable): every cell's text stays inside its column, a row taller than
a page goes on over the next pages instead of stopping the report, and an empty table says so."""

import random
import re

import pytest

from reports import pdf
from tests.reports.test_pdf import page_texts, poppler, save_and_render  # noqa: F401 (fixture)


@pytest.fixture(autouse=True)
def font():
    pdf.register_font()


def test_broken_lines_fit_their_column_and_keep_every_character():
    rng = random.Random(12)
    alphabet = "年产万套智能装备及配套零部件生产线建设项目（二期）、，。" + "HX2024-0015 abc 12.5%"
    for _ in range(300):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 80)))
        room = rng.uniform(20, 160)
        lines = pdf.break_lines(value, room)
        assert all(pdf.cell_width(line) <= room + 1e-6 or len(line) == 1 for line in lines), (value, room, lines)
        assert "".join(lines).replace(" ", "") == value.replace(" ", "")


def test_a_project_code_is_not_broken_when_it_fits_on_a_line():
    assert pdf.break_lines("HX2024-0015 年产30万套高端智能家居生产线", 70)[0].startswith("HX2024-0015")


def test_a_line_does_not_start_with_a_closing_mark_nor_end_with_an_opening_bracket():
    for room in range(30, 120, 3):  # three characters or more a line
        lines = pdf.break_lines("达产项目（个）数量，合计。用地面积（亩）", room)
        assert not any(line[:1] in "，。）" for line in lines[1:]), lines
        assert not any(line[-1:] == "（" for line in lines[:-1]), lines


def test_a_row_taller_than_a_page_goes_on_over_the_next_pages(poppler):
    description = "".join(f"第{i:04d}句说明用地指标协调情况。" for i in range(150))  # 2,100 characters
    story = pdf.heading("待协调问题") + [pdf.data_table(
        # The row's other cells left empty: pdftotext would put them inside the description's lines.
        ["序号", "问题描述", "交办单位"], [["", description, ""], [2, "短问题", "市发改局"]],
        [0.1, 0.6, 0.3], wrap=(1, 2),
    )]
    pages = page_texts(save_and_render(pdf.render(story, title="长单元格"), "grid-tall-row"))
    assert len(pages) >= 2
    text = "".join(pages)
    assert re.findall(r"第(\d{4})句", text) == [f"{i:04d}" for i in range(150)]  # every line, once, in order
    assert "短问题" in pages[-1]


def test_an_empty_table_says_none(poppler):
    story = [pdf.data_table(["序号", "项目编号", "项目名称"], [], [0.2, 0.3, 0.5])]
    pages = page_texts(save_and_render(pdf.render(story, title="空表"), "grid-empty"))
    assert "序号项目编号项目名称（无）" in pages[0]
