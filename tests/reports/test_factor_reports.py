"""The 要素保障 report and the bulletin's 要素保障 section (DOMAIN.md section 11) as PDF and Excel."""

import datetime
import io

import openpyxl
import pytest

from milestones import factor_services
from reports.bulletin import bulletin_pdf
from reports.factors import factors_pdf
from reports.selectors import bulletin_data
from reports.xlsx import bulletin_xlsx, factors_xlsx
from tests.factories import ProjectFactory
from tests.reports.test_pdf import assert_fonts_embedded, assert_page_numbers, page_texts, poppler, save_and_render  # noqa: F401

D = datetime.date
AS_OF = D(2026, 6, 29)
FAR = {"land": D(2030, 1, 1), "start": D(2030, 4, 1), "statistics": D(2030, 5, 1), "production": D(2031, 1, 1)}

pytestmark = pytest.mark.django_db


@pytest.fixture
def needs():
    late = ProjectFactory(code="FL-1", name="甲要素项目", planned={**FAR, "land": D(2026, 6, 1)})
    soon = ProjectFactory(code="FE-2", name="乙要素项目", planned={**FAR, "production": D(2026, 7, 10)})
    factor_services.need_set(project=late, factor_type="land", needed=120, today=D(2026, 1, 1))
    need = factor_services.need_set(project=late, factor_type="funds", needed=30000, today=D(2026, 1, 1))
    factor_services.need_record_secured(need=need, amount=12000, secured_on=D(2026, 5, 1), document="资金文件",
                                        today=AS_OF)
    factor_services.need_set(project=soon, factor_type="energy", needed="4500.5", today=D(2026, 1, 1))


def test_the_factor_pdf_reads_in_chinese_with_totals_and_both_lists(needs, poppler):
    path = save_and_render(factors_pdf(as_of=AS_OF), "factors")
    assert_fonts_embedded(path)
    pages = page_texts(path)
    assert_page_numbers(pages)
    text = "\n".join(pages)
    assert "嵊州市重大项目要素保障情况" in text
    assert "土地需求120亩、已保障0亩、缺口120亩" in text
    assert "FL-1" in text and "甲要素项目" in text and "FE-2" in text and "4,500.5吨标煤/年" in text


def test_the_factor_workbook_has_the_totals_and_both_lists(needs):
    workbook = openpyxl.load_workbook(io.BytesIO(factors_xlsx(as_of=AS_OF)))
    assert workbook.sheetnames == ["要素汇总", "逾期未保障", "30天内需保障"]
    totals = {row[0]: row[2:5] for row in workbook["要素汇总"].iter_rows(min_row=2, values_only=True)}
    assert totals["资金"] == (30000, 12000, 18000)
    assert [row[0] for row in workbook["30天内需保障"].iter_rows(min_row=2, values_only=True)] == ["FE-2"]


def test_the_bulletin_has_a_factor_section(needs, poppler):
    data = bulletin_data(as_of=AS_OF)
    assert [i["project"] for i in data["factors"]["overdue"]] == ["FL-1"]
    path = save_and_render(bulletin_pdf(as_of=AS_OF), "bulletin_factors")
    text = "\n".join(page_texts(path))
    assert "九、要素保障情况" in text and "（二）逾期未保障" in text and "甲要素项目" in text
    workbook = openpyxl.load_workbook(io.BytesIO(bulletin_xlsx(as_of=AS_OF)))
    assert "要素汇总" in workbook.sheetnames
