"""report_compliance (DOMAIN.md section 11's contract) and the 亩均 ranking (section 10)."""

import datetime
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from projects.models import Status
from reports.compliance import compliance_report, mu_ranking
from reports.pdf import compliance_pdf
from reports.xlsx import compliance_xlsx
from tests.factories import PlatformFactory, ProjectFactory
from tests.reports.test_pdf import poppler  # noqa: F401  (fixture)

D = datetime.date
AS_OF = D(2026, 6, 30)
DONE = {"land": D(2024, 2, 1), "start": D(2024, 3, 1), "statistics": D(2024, 4, 1), "production": D(2025, 1, 10)}

pytestmark = pytest.mark.django_db


def at_capacity(code, *, reached=D(2026, 3, 1), reviewed=D(2026, 3, 1), **kwargs):
    kwargs.setdefault("land_area", Decimal("50"))
    return ProjectFactory(code=code, status=Status.AT_CAPACITY, actual={**DONE, "capacity": reached},
                          capacity_reviewed_on=reviewed, last_event_date=reached, **kwargs)


def producing(code, production=D(2025, 1, 10), **kwargs):
    return ProjectFactory(code=code, status=Status.IN_PRODUCTION, actual={**DONE, "production": production},
                          last_event_date=production, **kwargs)


@pytest.fixture
def agreements():
    park, town = PlatformFactory(name="嵊州经济开发区"), PlatformFactory(name="三江街道")
    at_capacity("MET", platform=park, agreed_investment_intensity=Decimal("200"), agreed_energy_per_output=Decimal("0.1"),
                actual_fixed_investment=Decimal("10000"), actual_energy_per_output=Decimal("0.1"),
                actual_yearly_tax=Decimal("2000"), actual_yearly_output=Decimal("30000"))
    at_capacity("SHORT", platform=town, agreed_tax_per_mu=Decimal("40"), actual_yearly_tax=Decimal("1500"),
                actual_yearly_output=Decimal("20000"))
    producing("WAITING", platform=park, agreed_plot_ratio=Decimal("1.2"))
    producing("LATER", production=D(2026, 7, 1), agreed_plot_ratio=Decimal("1.2"))  # not producing yet on AS_OF
    ProjectFactory(code="BUILDING", status=Status.STARTED, agreed_plot_ratio=Decimal("1.2"))
    producing("GONE", agreed_plot_ratio=Decimal("1.2"))
    from projects.models import Project
    Project.objects.filter(code="GONE").update(status=Status.TERMINATED)
    at_capacity("PLAIN", platform=park, actual_yearly_tax=Decimal("500"), actual_yearly_output=Decimal("10000"))
    return park, town


def test_the_json_has_the_contract_of_section_11(agreements):
    report = compliance_report(as_of=AS_OF)
    assert report["as_of"] == "2026-06-30"
    assert report["summary"] == {"met": 1, "not_met": 1, "unreviewed": 1}
    by_code = {item["project"]: item for item in report["projects"]}
    assert set(by_code) == {"MET", "SHORT", "WAITING"}
    assert by_code["MET"]["met"] is True
    assert by_code["MET"]["indicators"]["investment_intensity"] == {
        "agreed": 200.0, "actual": 200.0, "met": True, "shortfall": 0.0, "label": "投资强度", "unit": "万元/亩"}
    assert by_code["MET"]["indicators"]["energy_per_output"]["met"] is True
    assert by_code["SHORT"]["met"] is False
    assert by_code["SHORT"]["indicators"] == {"tax_per_mu": {
        "agreed": 40.0, "actual": 30.0, "met": False, "shortfall": -0.25, "label": "亩均税收", "unit": "万元/亩·年"}}
    assert by_code["WAITING"]["met"] is None and by_code["WAITING"]["verdict"] == "未复核"
    assert [item["project"] for item in report["projects"]] == ["SHORT", "WAITING", "MET"]


def test_only_projects_in_production_by_the_as_of_date_and_not_terminated_are_checked(agreements):
    codes = {item["project"] for item in compliance_report(as_of=AS_OF)["projects"]}
    assert not codes & {"LATER", "BUILDING", "GONE", "PLAIN"}
    assert "LATER" in {item["project"] for item in compliance_report(as_of=D(2026, 7, 1))["projects"]}


def test_a_review_after_the_as_of_date_is_reported_as_not_reviewed(agreements):
    report = compliance_report(as_of=D(2026, 2, 28))
    assert report["summary"] == {"met": 0, "not_met": 0, "unreviewed": 3}


def test_the_mu_ranking_is_by_platform_over_projects_at_capacity_with_a_land_area(agreements):
    park, _ = agreements
    at_capacity("NOLAND", platform=park, land_area=None, needs_new_land=False, actual_yearly_tax=Decimal("9999"))
    ranking = mu_ranking(as_of=AS_OF)
    assert [(r["rank"], r["platform"], r["projects"], r["tax_per_mu"], r["output_per_mu"], r["output_rank"])
            for r in ranking] == [
        (1, "三江街道", 1, 30.0, 400.0, 1),
        (2, "嵊州经济开发区", 2, 25.0, 400.0, 1),  # (2000 + 500) ÷ (50 + 50); output ties at 400
    ]


def test_the_mu_ranking_leaves_out_projects_reaching_capacity_after_the_as_of_date(agreements):
    assert mu_ranking(as_of=D(2026, 2, 28)) == []


def test_the_command_prints_the_json_and_writes_pdf_and_xlsx(agreements, tmp_path):
    out = io.StringIO()
    call_command("report_compliance", "--as-of", "2026-06-30", stdout=out)
    assert json.loads(out.getvalue())["summary"] == {"met": 1, "not_met": 1, "unreviewed": 1}
    for fmt, magic in (("pdf", b"%PDF"), ("xlsx", b"PK")):
        path = tmp_path / f"c.{fmt}"
        call_command("report_compliance", "--as-of", "2026-06-30", "--format", fmt, "--output", str(path),
                     stderr=io.StringIO())
        assert path.read_bytes().startswith(magic)


def test_the_workbook_has_each_indicator_agreed_actual_met_and_shortfall(agreements):
    workbook = openpyxl.load_workbook(io.BytesIO(compliance_xlsx(as_of=AS_OF)))
    sheet = workbook["达产复核"]
    headers = [cell.value for cell in sheet[1]]
    rows = {row[0]: dict(zip(headers, row)) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["SHORT"]["亩均税收·约定"] == 40 and rows["SHORT"]["亩均税收·实际"] == 30
    assert rows["SHORT"]["亩均税收·达标"] == "否" and rows["SHORT"]["亩均税收·差距"] == -0.25
    assert rows["SHORT"]["结论"] == "未达标"
    assert [row[1] for row in workbook["亩均排名"].iter_rows(min_row=2, values_only=True)] == ["三江街道", "嵊州经济开发区"]


def test_the_pdf_renders(agreements):
    assert compliance_pdf(as_of=AS_OF).startswith(b"%PDF")


def _queries(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_the_report_query_count_does_not_grow_with_the_number_of_projects(agreements):
    park, _ = agreements

    def add(n, start):
        for i in range(n):
            at_capacity(f"N{start + i:03d}", platform=park, agreed_tax_per_mu=Decimal("10"),
                        actual_yearly_tax=Decimal(str(400 + i)))
            producing(f"W{start + i:03d}", agreed_plot_ratio=Decimal("1.1"))

    add(2, 0)
    few = _queries(lambda: compliance_report(as_of=AS_OF))
    add(20, 100)
    assert _queries(lambda: compliance_report(as_of=AS_OF)) == few == 2


# --- the bulletin's 达产 section ------------------------------------------------------------------------


def test_the_bulletin_has_a_capacity_section(agreements):
    from reports.selectors import bulletin_data

    at_capacity("THISWEEK", reached=D(2026, 6, 26), reviewed=D(2026, 6, 26), agreed_plot_ratio=Decimal("1"),
                actual_plot_ratio=Decimal("1.1"))
    section = bulletin_data(as_of=D(2026, 6, 29))["capacity"]
    assert [r["code"] for r in section["reached"]] == ["THISWEEK"]
    assert section["summary"] == {"met": 2, "not_met": 1, "unreviewed": 1}
    assert [item["project"] for item in section["pending"]] == ["SHORT", "WAITING"]
    assert [r["platform"] for r in section["ranking"]][:1] == ["三江街道"]


def test_the_bulletin_pdf_and_workbook_carry_the_capacity_section(agreements):
    from reports.bulletin import bulletin_pdf
    from reports.xlsx import bulletin_xlsx

    assert bulletin_pdf(as_of=D(2026, 6, 29)).startswith(b"%PDF")
    workbook = openpyxl.load_workbook(io.BytesIO(bulletin_xlsx(as_of=D(2026, 6, 29))))
    assert {"本周达产", "达产复核", "亩均排名"} <= set(workbook.sheetnames)
    assert [row[0] for row in workbook["达产复核"].iter_rows(min_row=2, values_only=True)] == ["SHORT", "WAITING"]


def test_the_compliance_pdf_reads_in_chinese_with_its_verdicts_and_ranking(agreements, poppler):
    from tests.reports.test_pdf import assert_fonts_embedded, assert_page_numbers, page_texts, save_and_render

    path = save_and_render(compliance_pdf(as_of=AS_OF), "compliance")
    assert_fonts_embedded(path)
    pages = page_texts(path)
    assert_page_numbers(pages)
    text = "\n".join(pages)
    assert "嵊州市标准地项目达产复核情况通报" in text
    assert "复核达标1个、未达标1个、尚未复核1个" in text
    assert "SHORT" in text and "亩均税收4030-25.0%未达标未达标" in text
    assert "亩均效益分平台排名" in text and "三江街道" in text


def test_the_bulletin_pdf_has_the_capacity_section(agreements, poppler):
    from reports.bulletin import bulletin_pdf
    from tests.reports.test_pdf import page_texts, save_and_render

    text = "\n".join(page_texts(save_and_render(bulletin_pdf(as_of=D(2026, 6, 29)), "bulletin_capacity")))
    assert "十、项目达产与标准地复核（亩均论英雄）" in text
    assert "复核达标1个、未达标1个、尚未复核1个" in text
