"""The ledger's optional 要素保障 sheet (DOMAIN.md section 11), read and written beside the project
sheet by projects/ledger.py.

Headers 项目编号, 要素类型 (土地 / 能耗 / 资金), 需求量, 已保障量, 需保障日期 (empty: the default, which
follows the node). Re-importing replaces a project's needs as a whole: the types a project lists are
set to the sheet's figures, the ones it no longer lists are removed. What was secured stays evidence:
a different 已保障量 is recorded as a dated record (document 项目台账导入) of the difference, and a
need that has records cannot be removed by an import. The sheet is checked with the project sheet and
written in the same transaction, so the import stays all or nothing.
"""

import datetime
import difflib
from dataclasses import dataclass, field
from decimal import Decimal

from milestones import factor_services
from milestones.models import FACTOR_ORDER, FactorNeed, FactorSecured, FactorType
from projects import excel
from projects.models import Project

SHEET = "要素保障"
H_CODE, H_TYPE, H_NEEDED, H_SECURED, H_NEEDED_BY = "项目编号", "要素类型", "需求量", "已保障量", "需保障日期"
HEADERS = [H_CODE, H_TYPE, H_NEEDED, H_SECURED, H_NEEDED_BY]
TYPE_BY_LABEL = {FactorType(t).label: t for t in FACTOR_ORDER}
IMPORT_DOCUMENT = factor_services.LEDGER_DOCUMENT
_STEP = Decimal("0.0001")


@dataclass
class FactorRow:
    number: int
    code: str
    factor_type: str
    needed: Decimal
    secured: Decimal
    needed_by: datetime.date | None


@dataclass
class FactorSheet:
    """The sheet as read: rows by project code, and one `要素保障 第N行 表头: 原因` line per bad cell."""

    present: bool = False
    rows: dict[str, list[FactorRow]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    existing: dict = field(default_factory=dict)  # the listed projects' needs, read by `check`


def read_factor_sheet(sheets, reader_class) -> FactorSheet:
    """Read the sheet named 要素保障 among `sheets` (each with `.name` and `.rows()`, as
    projects.tables gives them); absent: `present` is False and no need changes. `reader_class` is
    the ledger's cell reader, so numbers and dates are read exactly as on the project sheet."""
    sheet = FactorSheet()
    found = next((s for s in sheets if _sheet_name(s).strip() == SHEET), None)
    if found is None:
        return sheet
    sheet.present = True
    rows = iter(_sheet_rows(found))
    columns = _columns(next(rows, None), sheet)
    if sheet.errors:
        return sheet
    seen = {}
    for number, values in enumerate(rows, start=2):
        if values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        cells = reader_class(number, {h: values[i] if i < len(values) else None for i, h in columns})
        row = _parse(number, cells)
        for header, reason in cells.row.errors:
            sheet.errors.append(f"{SHEET} 第{number}行 {header}: {reason}")
        if row is None:
            continue
        key = (row.code, row.factor_type)
        if key in seen:
            sheet.errors.append(f"{SHEET} 第{number}行 {H_TYPE}: 与第{seen[key]}行重复（同一项目每类要素一行）")
            continue
        seen[key] = number
        sheet.rows.setdefault(row.code, []).append(row)
    return sheet


def _sheet_name(sheet) -> str:
    # projects.tables' sheets have `name` and `rows()`; an openpyxl worksheet has `title` and iter_rows.
    return str(getattr(sheet, "name", None) or getattr(sheet, "title", ""))


def _sheet_rows(sheet):
    rows = getattr(sheet, "rows", None)
    return rows() if callable(rows) else sheet.iter_rows(values_only=True)


def _columns(header_row, sheet):
    columns, found = [], set()
    for index, value in enumerate(header_row or ()):
        header = str(value).strip() if value is not None else ""
        if not header:
            continue
        if header not in HEADERS:
            close = difflib.get_close_matches(header, HEADERS, n=2, cutoff=0.5)
            sheet.errors.append(f"{SHEET} 第1行 {header}: 未知的表头{'，是否为：' + '、'.join(close) if close else ''}")
        elif header in found:
            sheet.errors.append(f"{SHEET} 第1行 {header}: 表头重复")
        else:
            found.add(header)
            columns.append((index, header))
    for header in (H_CODE, H_TYPE, H_NEEDED):
        if header not in found:
            sheet.errors.append(f"{SHEET} 第1行 {header}: 缺少必填列")
    return columns


def _parse(number, cells) -> FactorRow | None:
    code = cells.text(H_CODE, required=True)
    label = cells.text(H_TYPE, required=True)
    if label and label not in TYPE_BY_LABEL:
        cells.bad(H_TYPE, f"「{label}」不是可选值，应为：{'、'.join(TYPE_BY_LABEL)}")
    needed = cells.number(H_NEEDED)
    if needed is None and not any(h == H_NEEDED for h, _ in cells.row.errors):
        cells.bad(H_NEEDED, "必填，不能为空")
    elif needed is not None and needed <= 0:
        cells.bad(H_NEEDED, "须大于 0")
    secured = cells.number(H_SECURED)
    if secured is not None and secured < 0:
        cells.bad(H_SECURED, "不能小于 0")
    needed_by = cells.date(H_NEEDED_BY)
    if cells.row.errors:
        return None
    return FactorRow(number=number, code=code, factor_type=TYPE_BY_LABEL[label], needed=needed.quantize(_STEP),
                     secured=(secured or Decimal(0)).quantize(_STEP), needed_by=needed_by)


def check_factor_sheet(sheet: FactorSheet, *, known_codes: set[str], existing_needs: dict) -> None:
    """Rules that need the project sheet and the database: the code is a project of this ledger or of
    the system, and a need with recorded evidence is not removed by leaving it out."""
    for code, rows in sheet.rows.items():
        if code not in known_codes:
            for row in rows:
                sheet.errors.append(f"{SHEET} 第{row.number}行 {H_CODE}: 台账和系统中都没有项目「{code}」")
            continue
        listed = {row.factor_type for row in rows}
        for need in existing_needs.get(code, []):
            if need.factor_type not in listed and need.has_records:
                sheet.errors.append(
                    f"{SHEET} 第{rows[0].number}行 {H_TYPE}: 项目「{code}」的{need.get_factor_type_display()}需求已有"
                    "保障记录，不能通过导入删除（请保留该行）")


def existing_needs_by_code(codes) -> dict[str, list[FactorNeed]]:
    """The needs of these projects, each marked `has_records` (two queries)."""
    needs = list(FactorNeed.objects.filter(project__code__in=list(codes)).select_related("project"))
    with_records = set(FactorSecured.objects.filter(need__in=needs).values_list("need_id", flat=True))
    result = {}
    for need in needs:
        need.has_records = need.pk in with_records
        result.setdefault(need.project.code, []).append(need)
    return result


# --- the two calls projects/ledger.py makes ----------------------------------------------------------


def check(sheet: FactorSheet | None, *, rows, errors: list[str]) -> FactorSheet | None:
    """After the project rows are checked: add the sheet's errors to the import's `errors` (so any
    bad cell refuses the whole import) and keep what writing it needs. None when there is no sheet."""
    if sheet is None or not sheet.present:
        return None
    codes = set(sheet.rows)
    known = {row.code for row in rows if row.code and not row.errors}
    known |= set(Project.objects.filter(code__in=codes - known).values_list("code", flat=True))
    sheet.existing = existing_needs_by_code(codes)
    check_factor_sheet(sheet, known_codes=known, existing_needs=sheet.existing)
    errors.extend(sheet.errors)
    return sheet


def write(sheet: FactorSheet | None, *, today, user=None) -> list[str]:
    """After the projects are written, in the same transaction: replace the listed projects' needs,
    and open the problem of any need that is overdue now. Returns the codes whose needs changed."""
    if sheet is None:
        return []
    projects_by_code = {p.code: p for p in Project.objects.filter(code__in=list(sheet.rows))}
    changed = write_factor_sheet(sheet, projects_by_code=projects_by_code, existing_needs=sheet.existing,
                                 today=today, user=user)
    factor_services.open_overdue_problems(as_of=today, projects=[projects_by_code[c].pk for c in changed])
    return changed


def changed_codes(sheet: FactorSheet | None) -> list[str]:
    """The codes whose needs write() would change, without writing: the dry run's summary."""
    if sheet is None:
        return []
    changed = []
    for code, rows in sheet.rows.items():
        current = {need.factor_type: need for need in sheet.existing.get(code, [])}
        if set(current) - {row.factor_type for row in rows} or not all(
                _as_stated(current.get(row.factor_type), row) for row in rows):
            changed.append(code)
    return changed


def _as_stated(need, row) -> bool:
    """Whether a stored need already is what the sheet's row states."""
    return need is not None and (need.needed, need.needed_by_set, need.secured) == (
        row.needed, row.needed_by, row.secured)


def write_factor_sheet(sheet: FactorSheet, *, projects_by_code: dict, existing_needs: dict, today, user=None) -> list:
    """Replace each listed project's needs with the sheet's rows, inside the import's transaction.
    Returns the codes of the projects whose needs changed."""
    rules = factor_services.factor_rules()
    changed = []
    for code, rows in sheet.rows.items():
        project = projects_by_code[code]
        current = {need.factor_type: need for need in existing_needs.get(code, [])}
        listed = {row.factor_type for row in rows}
        removed = [need.pk for t, need in current.items() if t not in listed]
        touched = bool(removed)
        if removed:
            FactorNeed.objects.filter(pk__in=removed).delete()
        for row in rows:
            need = current.get(row.factor_type)
            if _as_stated(need, row):
                continue
            touched = True
            need = factor_services.need_write(project=project, factor_type=row.factor_type, needed=row.needed,
                                              needed_by=row.needed_by, rules=rules)
            difference = row.secured - need.secured
            if difference:
                factor_services.record_difference(need=need, amount=difference, secured_on=today,
                                                  document=IMPORT_DOCUMENT, user=user)
        if touched:
            changed.append(code)
    return changed


# --- export ---------------------------------------------------------------------------------------


def export_factor_sheet(workbook, projects_queryset) -> None:
    """The 要素保障 sheet for the exported projects, in the import format: a date set by hand is
    written, a date that follows its node is left empty (as the import reads it)."""
    sheet = workbook.create_sheet(SHEET)
    excel.setup_sheet(sheet, HEADERS, widths=[14, 10, 14, 14, 14])
    formats = {2: excel.AMOUNT_FORMAT, 3: excel.AMOUNT_FORMAT}
    needs = (FactorNeed.objects.filter(project__in=projects_queryset.values("pk"))
             .order_by("project__code", "factor_type").values_list("project__code", "factor_type", "needed", "secured",
                                                                   "needed_by_set"))
    order = {t: i for i, t in enumerate(FACTOR_ORDER)}
    for code, factor_type, needed, secured, needed_by in sorted(needs, key=lambda r: (r[0], order[r[1]])):
        sheet.append(excel.row_cells(sheet, [code, FactorType(factor_type).label, needed.normalize(),
                                             secured.normalize(), needed_by], formats))
