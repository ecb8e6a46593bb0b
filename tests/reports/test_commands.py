"""report_1330 / report_bulletin / report_leader (DOMAIN.md section 9's command contract)."""

import datetime
import io
import json

import pytest
from django.core.management import CommandError, call_command

from tests.factories import ProjectFactory


def test_report_1330_prints_the_json_of_section_9(db):
    ProjectFactory(code="C01", signing_date=datetime.date(2026, 2, 1))
    out = io.StringIO()
    call_command("report_1330", "--year", "2026", "--as-of", "2026-06-30", stdout=out)
    report = json.loads(out.getvalue())
    assert report["as_of"] == "2026-06-30" and report["counts"]["100m"] == 1
    assert "高端装备" in out.getvalue()  # ensure_ascii=False: Chinese as is


def test_report_1330_writes_pdf_and_xlsx_files(db, tmp_path):
    ProjectFactory(code="C01", signing_date=datetime.date(2026, 2, 1))
    pdf_path, xlsx_path = tmp_path / "r.pdf", tmp_path / "r.xlsx"
    call_command("report_1330", "--year", "2026", "--as-of", "2026-06-30", "--format", "pdf", "--output",
                 str(pdf_path), stderr=io.StringIO())
    call_command("report_1330", "--year", "2026", "--as-of", "2026-06-30", "--format", "xlsx", "--output",
                 str(xlsx_path), stderr=io.StringIO())
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert xlsx_path.read_bytes().startswith(b"PK")


def test_a_bad_as_of_date_is_refused_in_chinese(db):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("report_1330", "--year", "2026", "--as-of", "2026-13-01")


def test_report_bulletin_and_leader(rich_ledger, tmp_path):
    out = io.StringIO()
    call_command("report_bulletin", "--as-of", "2026-06-29", stdout=out)
    assert json.loads(out.getvalue())["week"] == {"start": "2026-06-23", "end": "2026-06-29"}
    out = io.StringIO()
    call_command("report_leader", "--leader", "张副市长", "--as-of", "2026-06-29", stdout=out)
    assert len(json.loads(out.getvalue())["projects"]) == 15
    with pytest.raises(CommandError, match="找不到联系市领导"):
        call_command("report_leader", "--leader", "无此人")
