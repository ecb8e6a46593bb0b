"""Issue 9 section 4: an upload is checked, kept on the server by its digest for a while, and
imported with one 确认导入 showing what changes per project; every message is Chinese."""

import io
import os
import time

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from projects import ledger_uploads
from projects.ledger import HEADERS
from projects.models import Project
from tests.factories import ProjectFactory
from tests.projects.test_ledger import base_row as row  # the ledger tests' valid row

from .conftest import login

pytestmark = pytest.mark.django_db


def workbook(*rows, name="台账.xlsx"):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(list(HEADERS))
    for values in rows:
        sheet.append([values.get(header) for header in HEADERS])
    stream = io.BytesIO()
    book.save(stream)
    return SimpleUploadedFile(name, stream.getvalue())


@pytest.fixture(autouse=True)
def own_var(tmp_path):
    with override_settings(VAR_DIR=tmp_path):
        yield tmp_path


def upload(client, *rows):
    return client.post(reverse("ledger_import"), {"file": workbook(*rows)})


def test_a_passing_check_offers_confirm_with_the_changes_per_project(client, center_user):
    ProjectFactory(code="SZ2026-9002", name="旧名称项目")
    response = upload(login(client, center_user), row(), row(**{"项目编号": "SZ2026-9002", "项目名称": "新名称项目", "签约日期": "2026-01-15"}))
    assert response.status_code == 200, response.context["result"].errors
    assert not Project.objects.filter(code="SZ2026-9001").exists()
    changes = {r["code"]: r["change"] for r in response.context["changes"]}
    assert changes == {"SZ2026-9001": "新增", "SZ2026-9002": "更新"}
    text = response.content.decode()
    assert "确认导入" in text and 'name="digest"' in text


def test_the_confirmation_names_the_new_projects_from_the_sheet(client, center_user):
    """A new project is in no table before 确认导入: its name comes from the checked sheet."""
    response = upload(login(client, center_user), row(**{"项目名称": "嵊州新材料示范项目"}))
    assert response.status_code == 200, response.context["result"].errors
    [change] = response.context["changes"]
    assert (change["code"], change["name"], change["change"]) == ("SZ2026-9001", "嵊州新材料示范项目", "新增")
    text = response.content.decode()
    assert "嵊州新材料示范项目" in text and "（新项目）" not in text


def test_confirm_imports_the_checked_file_without_a_second_upload(client, center_user):
    checked = upload(login(client, center_user), row())
    digest = checked.context["digest"]
    done = client.post(reverse("ledger_import"), {"digest": digest})
    assert done.status_code == 200 and "导入完成" in done.content.decode()
    assert Project.objects.get(code="SZ2026-9001").name == "嵊州测试精密机械项目"
    assert ledger_uploads.load(user=center_user, digest=digest) is None  # used once


def test_a_check_that_fails_offers_no_confirm(client, center_user):
    response = upload(login(client, center_user), row(**{"总投资": "很多"}))
    assert response.status_code == 400
    assert "确认导入" not in response.content.decode() and "digest" not in response.context


def test_a_confirm_after_the_time_limit_asks_for_the_file_again(client, center_user, own_var):
    digest = upload(login(client, center_user), row()).context["digest"]
    for path in own_var.rglob("*.xlsx"):
        old = time.time() - ledger_uploads.KEEP_SECONDS - 60
        os.utime(path, (old, old))
    response = client.post(reverse("ledger_import"), {"digest": digest})
    assert response.status_code == 400 and "已过期" in response.content.decode()
    assert not Project.objects.filter(code="SZ2026-9001").exists()


def test_another_user_cannot_confirm_someone_elses_check(client, center_user, admin_user):
    digest = upload(login(client, center_user), row()).context["digest"]
    client.force_login(admin_user)
    assert client.post(reverse("ledger_import"), {"digest": digest}).status_code == 400
    assert not Project.objects.filter(code="SZ2026-9001").exists()


def test_a_file_that_is_not_excel_is_refused_in_chinese(client, center_user):
    """The content, not the name, says what the file is (issue 10): text under an .xlsx name is read
    as a CSV, and refused in Chinese for what it lacks, with no library text."""
    login(client, center_user)
    response = client.post(reverse("ledger_import"), {"file": SimpleUploadedFile("台账.xlsx", b"name,code\n1,2")})
    text = response.content.decode()
    assert response.status_code == 400
    assert "没有找到台账表头" in text and "zip" not in text.lower()


def test_a_file_of_another_kind_is_refused_by_its_name(client, center_user):
    login(client, center_user)
    response = client.post(reverse("ledger_import"), {"file": SimpleUploadedFile("台账.pdf", b"%PDF-1.4")})
    assert response.status_code == 400 and "请上传 .xlsx、.xls 或 .csv 格式的台账文件" in response.content.decode()


def test_an_old_xls_is_checked_and_imported_from_the_page(client, center_user, tmp_path):
    from tests.projects.test_ledger_files import write_xls

    login(client, center_user)
    content = write_xls(tmp_path / "台账.xls").read_bytes()
    response = client.post(reverse("ledger_import"), {"file": SimpleUploadedFile("台账.xls", content)})
    assert response.status_code == 200, response.content.decode()
    assert "第5行为合计行，已跳过" in response.content.decode()
    response = client.post(reverse("ledger_import"), {"digest": response.context["digest"]})
    assert response.status_code == 200 and Project.objects.filter(code="SZ2025-0101").exists()


def test_a_large_ledger_lists_its_first_changes_and_says_how_many_are_left_out(client, center_user, monkeypatch):
    """Issue 12: a province's ledger changes thousands of projects; the page lists the first ones
    and the counts, and stays a page (one query for the listed names whatever the file's size)."""
    from projects.views import ledger as views

    monkeypatch.setattr(views, "LISTED_CHANGES", 3)
    ProjectFactory(code="K-OLD", name="旧项目")
    rows = [row(项目编号=f"K{index:02d}", 项目名称=f"新项目{index:02d}") for index in range(5)]
    response = upload(login(client, center_user), *rows, row(项目编号="K-OLD", 项目名称="旧项目改名", 签约日期="2026-01-15"))
    assert response.status_code == 200, response.context["result"].errors
    assert [(r["code"], r["name"]) for r in response.context["changes"]] == [
        ("K00", "新项目00"), ("K01", "新项目01"), ("K02", "新项目02")]
    text = response.content.decode()
    assert "此处列出前 3 个项目，另有 3 个未列出" in text
    assert '<span class="count-pill">6</span>' in text
    assert "将新增 5 个、将更新 1 个项目" in text


def test_the_page_lists_the_first_errors_and_notes_of_a_file_full_of_them(client, center_user, monkeypatch):
    from projects.views import ledger as views

    monkeypatch.setattr(views, "LISTED_ERRORS", 2)
    monkeypatch.setattr(views, "LISTED_NOTES", 1)
    rows = [row(项目编号=f"K{index:02d}", 总投资="很多", 签约日期="2026.3.1") for index in range(4)]
    response = upload(login(client, center_user), *rows)
    assert response.status_code == 400
    text = response.content.decode()
    assert "导入失败：共 4 处错误" in text or "检查未通过" in text
    assert response.context["errors"] == ["第2行 总投资: 应为数字，而不是「很多」", "第3行 总投资: 应为数字，而不是「很多」"]
    assert "另有 2 处错误未列出" in text
    assert response.context["notes"] == ["第2行 签约日期: 「2026.3.1」按 2026-03-01 读取"]
    assert "另有 3 条未列出" in text


def test_every_skipped_row_is_listed_however_many_notes_come_before_it(client, center_user, monkeypatch):
    """DOMAIN.md section 9: every skipped row is reported; the page's cap on notes does not hide one."""
    from projects.views import ledger as views

    monkeypatch.setattr(views, "LISTED_NOTES", 1)
    rows = [row(项目编号=f"K{index:02d}", 签约日期="2026.3.1") for index in range(3)]
    response = upload(login(client, center_user), *rows, {"项目名称": "合计"})
    assert response.status_code == 200, response.context["result"].errors
    assert response.context["notes"] == ["第2行 签约日期: 「2026.3.1」按 2026-03-01 读取", "第5行为合计行，已跳过"]
    assert "另有 2 条未列出" in response.content.decode()
