"""The Excel ledger (项目台账): import and export (DOMAIN.md section 9).

Import is all or nothing. Every row is parsed and validated first, and each project is moved into
its state in memory through the same django-fsm transitions and guards the UI uses
(`Project.transition_problems` then the transition method), never by writing `status`. Only when no
cell is bad is anything written, with a handful of bulk queries inside one transaction, so a
10,000-row ledger imports in seconds (bench/import_ledger.py).
"""

import contextlib
import datetime
import difflib
import functools
import itertools
import logging
import operator
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import openpyxl
from django.contrib.contenttypes.models import ContentType
from django.db import OperationalError, connection, transaction
from django.db.models import F, Model
from django.db.models import signals as model_signals
from django.db.models.base import ModelState
from django.utils import timezone
from django_fsm import ConcurrentTransitionMixin, FSMFieldMixin

from audit.context import Channel as AuditChannel
from audit.context import audit_channel
from audit.models import AuditEntry
from audit.services import audit_rows
from milestones.models import NODE_ORDER, Node, NodeType
from milestones.selectors import next_due_of
from milestones.services import (
    TRANSITION_NODE,
    applicable_node_types,
    derive_planned_dates,
    node_types_for,
    node_unit,
    rules_by_type,
)
from projects import bulk, compliance, excel, ledger_factors, sheet_reader, signals, tables
from projects.lookups import InArray
from projects.models import (
    AMOUNT_UNIT_LABEL,
    Channel,
    Cluster,
    Currency,
    Leader,
    Platform,
    Project,
    Source,
    Status,
    Transition,
    TransitionLog,
    Unit,
    local_today,
)
from projects.services import _snapshot
from projects.validation import ValueCheck, date_problem, text_problem

logger = logging.getLogger(__name__)

# --- the format (DOMAIN.md section 9) -----------------------------------------------------------

H_CODE, H_NAME, H_INVESTOR = "项目编号", "项目名称", "投资方"
H_AMOUNT, H_AMOUNT_UNIT = "总投资", "计量单位"
H_MANUFACTURING, H_CLUSTER, H_SOURCE, H_CHANNEL = "是否制造业", "产业集群", "项目来源", "招商方式"
H_PLATFORM, H_UNIT, H_LEADER = "所在平台", "责任单位", "联系市领导"
H_NEEDS_LAND, H_LAND_AREA, H_SIGNING = "是否需新供地", "用地面积（亩）", "签约日期"
H_STATS_CODE, H_STATUS, H_REMARK = "统计库项目代码", "状态", "备注"

PLANNED_HEADERS = {
    NodeType.LAND: "计划供地日期",
    NodeType.START: "计划开工日期",
    NodeType.STATISTICS: "计划入库日期",
    NodeType.PRODUCTION: "计划投产日期",
    NodeType.CAPACITY: "计划达产日期",
}
ACTUAL_HEADERS = {
    NodeType.LAND: "实际供地日期",
    NodeType.START: "实际开工日期",
    NodeType.STATISTICS: "实际入库日期",
    NodeType.PRODUCTION: "实际投产日期",
    NodeType.CAPACITY: "实际达产日期",
}
# Section 10's 标准地 agreed indicators (optional columns), by project field.
AGREED_HEADERS = {
    "agreed_investment_intensity": "约定投资强度",
    "agreed_tax_per_mu": "约定亩均税收",
    "agreed_output_per_mu": "约定亩均产值",
    "agreed_plot_ratio": "约定容积率",
    "agreed_energy_per_output": "约定单位能耗",
}
STEP_TRANSITION = {node_type: name for name, node_type in TRANSITION_NODE.items()}

HEADERS = [
    H_CODE, H_NAME, H_INVESTOR, H_AMOUNT, H_AMOUNT_UNIT, H_MANUFACTURING, H_CLUSTER, H_SOURCE, H_CHANNEL,
    H_PLATFORM, H_UNIT, H_LEADER, H_NEEDS_LAND, H_LAND_AREA, H_SIGNING,
    *PLANNED_HEADERS.values(), *ACTUAL_HEADERS.values(),
    H_STATS_CODE, H_STATUS, H_REMARK, *AGREED_HEADERS.values(),
]
REQUIRED_HEADERS = (H_CODE, H_NAME, H_INVESTOR, H_AMOUNT)
HEADER_ORDER = {header: index for index, header in enumerate(HEADERS)}
_HEADER_SET = frozenset(HEADERS)

# Columns the export adds for people to read; the import ignores them, as it ignores a 序号 column.
H_CURRENT_STATUS, H_LIGHT, H_OVERDUE_DAYS = "当前状态", "红黄绿灯", "逾期天数"
READ_ONLY_HEADERS = (H_CURRENT_STATUS, H_LIGHT, H_OVERDUE_DAYS)
IGNORED_HEADERS = {"序号": "已忽略", **{h: "是导出时附带的只读列，已忽略" for h in READ_ONLY_HEADERS}}
# The export marks a derived planned date (section 3) with this text in its number format, so it
# prints as "2026-09-01（推算）" and the import keeps it derived.
DERIVED_MARK = "推算"
TOTAL_WORDS = ("合计", "小计", "总计")
HEADER_SEARCH_ROWS = 20  # title and note rows above the header row
_BRACKETS = str.maketrans("（）［］", "()[]")


def header_key(text):
    """Section 9: headers are compared without spaces or line breaks, full- and half-width brackets alike."""
    return re.sub(r"\s+", "", str(text)).translate(_BRACKETS)


HEADER_KEYS = {header_key(header): header for header in HEADERS}
IGNORED_HEADER_KEYS = {header_key(header): note for header, note in IGNORED_HEADERS.items()}

# Amounts are stored in 万 of their own currency; 亿 = 10,000 万 (section 5: no exchange rate).
AMOUNT_UNITS = {
    "万元": (Currency.CNY, Decimal(1)),
    "亿元": (Currency.CNY, Decimal(10000)),
    "万美元": (Currency.USD, Decimal(1)),
    "亿美元": (Currency.USD, Decimal(10000)),
}
STATUS_CELL = {"在谈": Status.NEGOTIATING, "已暂停": Status.SUSPENDED, "已终止": Status.TERMINATED}
STATUS_TEXT = {status: text for text, status in STATUS_CELL.items()}  # the export's 状态 cell
YES_NO = {"是": True, "否": False}
IMPORT_NOTE = "台账导入"
REVERT_HINT = "台账落后于系统记录；如确需更正，请在系统中使用「撤销」后再导入"

# Section 9's text dates: YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYY年M月D日, YYYYMMDD (a time of 0:00, as
# other systems' CSV exports add, is dropped).
_DATE_FORMS = (
    re.compile(r"^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:\s+0{1,2}:00(?::00)?)?$"),
    re.compile(r"^(\d{4})()年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})()(\d{2})(\d{2})$"),
)
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DERIVED_SUFFIX = re.compile(r"\s*[(（]" + DERIVED_MARK + r"[)）]$")
DATE_FORMS_TEXT = "Excel 日期或 YYYY-MM-DD、YYYY/M/D、YYYY.M.D、YYYY年M月D日、YYYYMMDD"
# An amount with its unit (section 9): 6亿元, 8000万元, 1.2亿美元, 1,200万元.
_AMOUNT_WITH_UNIT = re.compile(r"^([0-9][0-9,，]*(?:\.[0-9]+)?)\s*(" + "|".join(AMOUNT_UNITS) + ")$")
_AMOUNT_STEP = Decimal("0.0001")
_AREA_STEP = Decimal("0.01")

# Project fields an import may change on an existing project (bulk_update writes only these).
_UPDATABLE = [
    "name", "investor", "total_investment", "currency", "is_manufacturing", "cluster", "source", "channel",
    "platform_id", "responsible_unit_id", "contact_leader_id", "needs_new_land", "land_area", "signing_date",
    "stats_code", "remark", "status", "suspended_from", "suspended_on", "status_reason", "last_event_date",
    *compliance.AGREED_FIELDS, "capacity_reviewed_on",
]
_NODE_FIELDS = ["planned_date", "planned_is_agreed", "actual_date", "responsible_unit_id"]


@dataclass
class ImportResult:
    dry_run: bool = False
    errors: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    created_units: list[str] = field(default_factory=list)
    created_leaders: list[str] = field(default_factory=list)
    created_platforms: list[str] = field(default_factory=list)
    # The new projects' names as the sheet gives them: a dry run's confirmation shows them, and
    # they are in no table until the import is confirmed.
    new_names: dict[str, str] = field(default_factory=dict)
    # What was skipped or interpreted (title and total rows, the sheet read, hidden or ignored
    # columns, text dates, amounts with a unit), in file order, so the user can check it.
    notes: list[str] = field(default_factory=list)
    # The notes that report a skipped row (section 9: every skipped row is reported), which a page
    # that lists only the first notes still lists.
    skipped: list[str] = field(default_factory=list)

    busy: bool = False  # another import held the ledger for longer than IMPORT_WAIT_SECONDS

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self, *, notes=True) -> str:
        """The Chinese summary printed at the end of an import; `notes=False`: without the notes
        (a page lists them itself)."""
        notes_lines = self._notes_lines() if notes else []
        if self.busy:
            return "导入未进行：另一份台账正在导入，请等其完成后再试；未写入任何数据"
        if self.errors:
            return "\n".join([f"导入失败：共 {len(self.errors)} 处错误，未写入任何数据", *notes_lines])
        verb = "将" if self.dry_run else ""
        lines = [
            ("试运行（未写入任何数据）：" if self.dry_run else "导入完成：")
            + f"{verb}新增 {len(self.created)} 个、{verb}更新 {len(self.updated)} 个项目"
            + (f"（另有 {len(self.unchanged)} 个无变化）" if self.unchanged else "")
        ]
        if self.created_units:
            lines.append(f"{verb}新建责任单位：{'、'.join(self.created_units)}")
        if self.created_leaders:
            lines.append(f"{verb}新建联系市领导：{'、'.join(self.created_leaders)}")
        if self.created_platforms:
            lines.append(f"{verb}新建所在平台：{'、'.join(self.created_platforms)}")
        return "\n".join([*lines, *notes_lines])

    def _notes_lines(self):
        return ["已跳过或按规则读取的内容：", *self.notes] if self.notes else []


# --- reading and checking cells -----------------------------------------------------------------


@dataclass
class _Row:
    number: int
    errors: list = field(default_factory=list)  # (header, reason)
    code: str = ""
    name: str = ""
    investor: str = ""
    total_investment: Decimal | None = None
    currency: str = Currency.CNY
    is_manufacturing: bool | None = None
    cluster: str = ""
    source: str = ""
    channel: str = ""
    platform: str = ""
    unit: str = ""
    leader: str = ""
    needs_new_land: bool = True
    land_area: Decimal | None = None
    signing_date: datetime.date | None = None
    planned: dict = field(default_factory=dict)
    actual: dict = field(default_factory=dict)
    stats_code: str = ""
    status: str | None = None  # None: derived from the actual dates
    remark: str = ""
    agreed: dict = field(default_factory=dict)  # 标准地 agreed indicators by project field
    derived_planned: set = field(default_factory=set)  # node types whose date the file marks 推算
    notes: list = field(default_factory=list)  # (header, what was interpreted)


def _max_length(name):
    return Project._meta.get_field(name).max_length


_MAX_LENGTH = {H_CODE: _max_length("code"), H_NAME: _max_length("name"), H_INVESTOR: _max_length("investor"),
               H_STATS_CODE: _max_length("stats_code"), H_PLATFORM: Platform._meta.get_field("name").max_length,
               H_UNIT: Unit._meta.get_field("name").max_length, H_LEADER: Leader._meta.get_field("name").max_length}


class _CellReader:
    """Turns one spreadsheet row into a `_Row`, recording each bad cell as (header, reason)."""

    def __init__(self, number, values):
        self.values = values
        self.row = _Row(number=number)

    def bad(self, header, reason):
        self.row.errors.append((header, reason))

    def text(self, header, *, required=False):
        value = self.values.get(header)
        if isinstance(value, tables.Marked):
            value = value.value
        if value is None:
            text = ""
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))  # a code typed as a number: 33061133833463.0 -> "33061133833463"
        elif isinstance(value, datetime.datetime):
            text = value.date().isoformat()
        else:
            text = str(value).strip()
        if required and not text:
            self.bad(header, "必填，不能为空")
        limit = _MAX_LENGTH.get(header)
        if limit and len(text) > limit:
            self.bad(header, f"不能超过 {limit} 个字")
        return text

    def note(self, header, text):
        self.row.notes.append((header, text))

    def number(self, header):
        value = self.values.get(header)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number = None
        if not isinstance(value, (bool, datetime.date, tables.Marked)):  # datetime is a date
            try:
                number = Decimal(str(value).strip().replace(",", "").replace("，", ""))
            except InvalidOperation:
                pass
        if number is None or not number.is_finite():
            self.bad(header, f"应为数字，而不是「{value}」")
            return None
        return number

    def amount(self, header):
        """A number, or a number with its unit as a suffix (section 9): (number, unit label or "")."""
        value = self.values.get(header)
        match = _AMOUNT_WITH_UNIT.match(re.sub(r"\s+", "", value)) if isinstance(value, str) else None
        if match is None:
            return self.number(header), ""
        return Decimal(match.group(1).replace(",", "").replace("，", "")), match.group(2)

    def choice(self, header, allowed, *, default="", reason=None):
        text = self.text(header)
        if not text:
            return default
        if text not in allowed:
            reason = reason or "「{text}」不是可选值，应为：{allowed}"
            self.bad(header, reason.format(text=text, allowed="、".join(allowed)))
            return default
        return text

    def yes_no(self, header, *, default=None):
        text = self.choice(header, YES_NO, default=None, reason="应为「是」或「否」，而不是「{text}」")
        return default if text is None else YES_NO[text]

    def date(self, header):
        """A date cell (section 9's forms); a value the file marks 推算 is returned as
        `tables.Marked(date, DERIVED_MARK)`."""
        value = self.values.get(header)
        marker = None
        if isinstance(value, tables.Marked):
            value, marker = value.value, value.marker
        if isinstance(value, str):
            text = value.strip()
            if _DERIVED_SUFFIX.search(text):  # a CSV of the export keeps the mark as text
                text, marker = _DERIVED_SUFFIX.sub("", text), DERIVED_MARK
            value = text or None
        day = self._date_value(header, value)
        return tables.Marked(day, marker) if day is not None and marker else day

    def _date_value(self, header, value):
        if value is None:
            return None
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer():
            value = str(int(value))  # 20250301 typed as a number
        text = str(value).strip()
        for form in _DATE_FORMS:
            match = form.match(text)
            if match:
                break
        else:
            self.bad(header, f"「{text}」不是日期，应为 {DATE_FORMS_TEXT}")
            return None
        year, _, month, day = match.groups()
        try:
            result = datetime.date(int(year), int(month), int(day))
        except ValueError:
            self.bad(header, f"日期 {text} 不存在")
            return None
        if not _ISO_DATE.match(text):
            self.note(header, f"「{text}」按 {result.isoformat()} 读取")
        return result


# The choices' values, once: Django's Choices.values builds a new list each time it is read.
_CLUSTERS, _SOURCES, _CHANNELS = Cluster.values, Source.values, Channel.values


def _parse_row(number, values) -> _Row:
    """One ledger row, cell by cell (section 9), with the row-level rules that need no database."""
    cells = _CellReader(number, values)
    row = cells.row
    row.code = cells.text(H_CODE, required=True)
    row.name = cells.text(H_NAME, required=True)
    row.investor = cells.text(H_INVESTOR, required=True)
    unit_label = cells.choice(H_AMOUNT_UNIT, list(AMOUNT_UNITS))
    amount, suffix = cells.amount(H_AMOUNT)
    if suffix and unit_label and suffix != unit_label:
        cells.bad(H_AMOUNT, f"金额带的单位「{suffix}」与计量单位「{unit_label}」不一致")
    elif suffix:
        cells.note(H_AMOUNT, f"「{cells.values[H_AMOUNT]}」按总投资 {amount}、计量单位「{suffix}」读取")
    row.currency, factor = AMOUNT_UNITS[suffix or unit_label or "万元"]
    if amount is None:
        if not any(header == H_AMOUNT for header, _ in row.errors):
            cells.bad(H_AMOUNT, "必填，不能为空")
    elif amount <= 0:
        cells.bad(H_AMOUNT, "必须大于 0")
    elif (amount * factor).adjusted() >= 14:  # before quantize, which cannot hold 1e30 to 4 places
        cells.bad(H_AMOUNT, "数额过大")
    else:
        row.total_investment = (amount * factor).quantize(_AMOUNT_STEP)
        if row.total_investment == 0:
            cells.bad(H_AMOUNT, "必须大于 0")
    row.is_manufacturing = cells.yes_no(H_MANUFACTURING)
    row.cluster = cells.choice(H_CLUSTER, _CLUSTERS)
    row.source = cells.choice(H_SOURCE, _SOURCES)
    row.channel = cells.choice(H_CHANNEL, _CHANNELS)
    row.platform = cells.text(H_PLATFORM)
    row.unit = cells.text(H_UNIT)
    row.leader = cells.text(H_LEADER)
    row.needs_new_land = cells.yes_no(H_NEEDS_LAND, default=True)
    area = cells.number(H_LAND_AREA)
    if area is not None:
        if area < 0:
            cells.bad(H_LAND_AREA, "不能为负数")
        elif area.adjusted() >= 10:
            cells.bad(H_LAND_AREA, "数额过大")
        else:
            row.land_area = area.quantize(_AREA_STEP)
    row.signing_date = _plain(cells.date(H_SIGNING))
    for node_type, header in PLANNED_HEADERS.items():
        day = cells.date(header)
        if isinstance(day, tables.Marked):
            row.derived_planned.add(node_type)
        row.planned[node_type] = _plain(day)
    for node_type, header in ACTUAL_HEADERS.items():
        day = _plain(cells.date(header))
        if day is not None:
            row.actual[node_type] = day
    row.stats_code = cells.text(H_STATS_CODE)
    status_text = cells.choice(H_STATUS, list(STATUS_CELL))
    row.status = STATUS_CELL.get(status_text)
    row.remark = cells.text(H_REMARK)
    _parse_agreed(cells)
    _check_row_rules(cells)
    return row


def _parse_agreed(cells):
    """Section 10: each agreed indicator > 0; the per-亩 ones only with a land area."""
    row = cells.row
    for name, header in AGREED_HEADERS.items():
        value = cells.number(header)
        if value is None:
            row.agreed[name] = None
        elif value <= 0:
            cells.bad(header, "必须大于 0")
        elif value.adjusted() >= 14:
            cells.bad(header, "数额过大")
        else:
            row.agreed[name] = value.quantize(_AMOUNT_STEP)
    if not compliance.has_land_area(row.land_area) and H_LAND_AREA not in dict(row.errors):
        for indicator in compliance.INDICATORS:
            if indicator.per_mu and row.agreed.get(indicator.agreed_field) is not None:
                cells.bad(AGREED_HEADERS[indicator.agreed_field],
                          "未填写用地面积（亩）的项目不能约定按亩计算的指标（只能约定容积率、单位能耗）")


def _plain(value):
    return value.value if isinstance(value, tables.Marked) else value


def _check_row_rules(cells):
    """Section 9 rules between cells of one row; the transition guards check the rest."""
    row = cells.row
    if row.status is None and row.signing_date is None and not row.actual:
        # 状态 empty means "derived from the dates": no signing date and no actual date is a lead.
        row.status = Status.NEGOTIATING
    if row.status == Status.NEGOTIATING:
        for node_type in row.actual:
            cells.bad(ACTUAL_HEADERS[node_type], "状态为「在谈」的项目不能填写实际日期")
    elif row.signing_date is None and row.status != Status.TERMINATED and H_SIGNING not in dict(row.errors):
        cells.bad(H_SIGNING, "已签约的项目（填写了实际日期或状态）必须填写签约日期")
    if not row.needs_new_land and NodeType.LAND in row.actual:
        cells.bad(ACTUAL_HEADERS[NodeType.LAND], "该项目无需新供地，不能填写实际供地日期")
    if NodeType.STATISTICS in row.actual and not row.stats_code:
        cells.bad(ACTUAL_HEADERS[NodeType.STATISTICS], "填写了实际入库日期，必须同时填写统计库项目代码")


class _Unreadable(Exception):
    """The sheet could not be read to its end (openpyxl reads rows lazily: a damaged sheet fails
    while its rows are read, in many types). `message`: what the user is told; the exception's own
    text (the library's, English) goes to the log."""

    DAMAGED = "无法读取文件（文件已损坏或含有不允许的字符，请另存为 .xlsx 后重试）"
    READER_GONE = "无法读取文件：读取文件的进程意外中止（不是文件的问题），未写入任何数据，请重新导入"

    def __init__(self, exc):
        super().__init__(str(exc))
        self.message = self.READER_GONE if isinstance(exc, sheet_reader.ReaderGone) else self.DAMAGED


@contextlib.contextmanager
def _ledger_rows(path_or_file, result, *, skipped_rows, factor_sheets, progress):
    """The data sheet (section 9: the first sheet with the required headers) as an iterator of
    (row number, {header: value}), read while the caller works on the rows already read; None when
    the file or its header row is refused (`result.errors`). Title rows above its header row, total
    rows and empty rows are skipped; what was found about the file goes to `result.notes`, the total
    rows to `skipped_rows` as (row number, note); the optional 要素保障 sheet (section 11) is read
    into `factor_sheets`."""
    try:
        table = tables.open_table(path_or_file, markers=(DERIVED_MARK,), reader_process=True)
    except tables.TableError as exc:
        result.errors.append(str(exc))
        yield None
        return
    with table:
        try:
            found = _find_header_row(table, result)
            if found is not None:
                factor_sheets.append(ledger_factors.read_factor_sheet(table.sheets, _CellReader))
        except Exception as exc:  # a damaged sheet, found while its first rows are read
            raise _Unreadable(exc) from exc
        if found is None:
            yield None
            return
        sheet, header_number, columns = found
        yield _data_rows(table, sheet, header_number, columns, skipped_rows, progress)


def _data_rows(table, sheet, header_number, columns, skipped_rows, progress):
    from tqdm import tqdm

    rows = itertools.islice(sheet.rows(), header_number, None)
    total = sheet.max_row - header_number if sheet.max_row else None
    try:
        for number, values in enumerate(tqdm(rows, total=total, disable=not progress, unit="行", desc="导入台账"),
                                        start=header_number + 1):
            if _is_empty(values):
                continue
            record = {header: values[index] if index < len(values) else None for index, header in columns}
            total_word = _total_row_word(values, record)
            if total_word:
                skipped_rows.append((number, f"第{number}行为{total_word}行，已跳过"))
                continue
            # Every column of the file, also where this row stops short: only an absent column is absent.
            yield number, record
    except Exception as exc:
        raise _Unreadable(exc) from exc


def _is_empty(values):
    return values is None or all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _total_row_word(values, record):
    """Section 9: a row whose 项目编号 is empty and whose first non-empty cell starts with 合计, 小计
    or 总计 is a total row; returns that word, or "" for any other row."""
    code = record.get(H_CODE)
    if code is not None and str(code).strip():
        return ""
    first = next((v for v in values if v is not None and str(v).strip()), None)
    text = re.sub(r"\s+", "", str(first)) if first is not None else ""
    return next((word for word in TOTAL_WORDS if text.startswith(word)), "")


def _find_header_row(table, result):
    """The first sheet with a row that has every required header (looked for in the first
    HEADER_SEARCH_ROWS rows of each sheet), as (sheet, row number, [(column index, header)]).
    Without one, the problems of the most header-like row found are the errors."""
    best = None  # (known headers, sheet, number, cells)
    skipped = []
    for sheet in table.sheets:
        for number, values in enumerate(itertools.islice(sheet.rows(), HEADER_SEARCH_ROWS), start=1):
            keys = {header_key(v) for v in values or () if v is not None}
            known = len(keys & set(HEADER_KEYS))
            if all(header_key(h) in keys for h in REQUIRED_HEADERS):
                return _accept_header_row(table, sheet, number, values, skipped, result)
            if known and (best is None or known > best[0]):
                best = (known, sheet, number, values)
        skipped.append(sheet)
    if best is None:
        where = "各工作表" if len(table.sheets) > 1 else "文件"
        result.errors.append(f"{where}的前 {HEADER_SEARCH_ROWS} 行中没有找到台账表头（须有：{'、'.join(REQUIRED_HEADERS)}）")
        return None
    _, sheet, number, values = best
    _check_headers(values, number, sheet, result)
    return None


def _data_sheets(sheets):
    """The sheets that could hold the projects: the 要素保障 sheet (section 11) is the ledger's own
    companion, read on its own, so it never makes the choice of the project sheet worth a note."""
    return [sheet for sheet in sheets if str(sheet.name).strip() != ledger_factors.SHEET]


def _accept_header_row(table, sheet, number, values, skipped, result):
    if table.kind == "csv":
        result.notes.append(f"按 {table.encoding} 编码读取 CSV 文件")
    elif len(_data_sheets(table.sheets)) > 1 or _data_sheets(skipped):
        position = table.sheets.index(sheet) + 1
        skipped = _data_sheets(skipped)
        passed = "".join(f"；工作表「{other.name}」没有台账表头，未读取" for other in skipped)
        result.notes.append(f"读取第{position}个工作表「{sheet.name}」{passed}")
    if sheet.hidden:
        result.notes.append(f"工作表「{sheet.name}」是隐藏的工作表")
    for above, row_values in enumerate(itertools.islice(sheet.rows(), number - 1), start=1):
        if not _is_empty(row_values):
            result.notes.append(f"第{above}行为标题行，已跳过")
            result.skipped.append(result.notes[-1])
    return sheet, number, _check_headers(values, number, sheet, result)


def _check_headers(header_row, number, sheet, result):
    """Section 9: Chinese headers, order free, unknown ones refused, the required ones present;
    序号 and the export's read-only columns are ignored. Returns [(column index, header)]."""
    columns, seen = [], set()
    problems = []
    for index, value in enumerate(header_row or ()):
        written = re.sub(r"\s+", " ", str(value)).strip() if value is not None else ""
        if not written:
            continue
        where = f"第{tables.column_letter(index)}列「{written}」"
        hidden = index in sheet.hidden_columns
        key = header_key(written)
        header = HEADER_KEYS.get(key)
        if key in IGNORED_HEADER_KEYS:
            ignored = IGNORED_HEADER_KEYS[key]
            result.notes.append(f"{where}{'为隐藏列，' if hidden else ''}{ignored}")
        elif header is None:
            close = difflib.get_close_matches(key, HEADERS, n=3, cutoff=0.5)
            hint = f"，是否为：{'、'.join(close)}" if close else ""
            problems.append((written, f"未知的表头{'（隐藏列）' if hidden else ''}{hint}"))
        elif header in seen:
            problems.append((header, "表头重复"))
        else:
            seen.add(header)
            columns.append((index, header))
            if written != header:
                result.notes.append(f"{where}按「{header}」读取")
            if hidden:
                result.notes.append(f"{where}为隐藏列，其内容照常导入")
    for header in REQUIRED_HEADERS:
        if header not in seen:
            problems.append((header, "缺少必填列"))
    result.errors.extend(f"第{number}行 {header}: {reason}" for header, reason in problems)
    return columns


# --- reference data -----------------------------------------------------------------------------


class _References:
    """Units, leaders and platforms by name, and by id for the projects loaded (`_lock_existing`),
    loaded once (three queries)."""

    def __init__(self):
        self.units_by_id = {unit.pk: unit for unit in Unit.objects.all()}
        self.leaders_by_id = {leader.pk: leader for leader in Leader.objects.all()}
        self.platforms_by_id = {p.pk: p for p in Platform.objects.select_related("unit")}
        self.units = {unit.name: unit for unit in self.units_by_id.values()}
        self.leaders = {leader.name: leader for leader in self.leaders_by_id.values()}
        titles = {}
        for leader in self.leaders.values():
            if leader.title:
                titles.setdefault(leader.title, []).append(leader)
        # A leader may be written by title (section 9: "a leader's name or title") when it is unique.
        self.leader_titles = {title: found[0] for title, found in titles.items() if len(found) == 1}
        self.platforms = {p.name: p for p in self.platforms_by_id.values()}

    def leader(self, name):
        return self.leaders.get(name) or self.leader_titles.get(name)

    def resolve(self, rows, *, create_missing, result):
        """Unknown unit and leader names are errors listing the close known names, unless
        `create_missing`; unknown platforms are created silently (they are free text). Called for
        each part of the sheet: a name is created once, by the first part that needs it."""
        missing_units, missing_leaders, missing_platforms = {}, {}, {}
        for row in rows:
            if row.unit and row.unit not in self.units:
                missing_units.setdefault(row.unit, []).append(row)
            if row.leader and self.leader(row.leader) is None:
                missing_leaders.setdefault(row.leader, []).append(row)
            if row.platform and row.platform not in self.platforms:
                missing_platforms.setdefault(row.platform, [])
        if create_missing:
            new_units = Unit.objects.bulk_create([Unit(name=name) for name in missing_units])
            self.units.update((unit.name, unit) for unit in new_units)
            new_leaders = Leader.objects.bulk_create([Leader(name=name) for name in missing_leaders])
            self.leaders.update((leader.name, leader) for leader in new_leaders)
            result.created_units.extend(missing_units)
            result.created_leaders.extend(missing_leaders)
        else:
            for name, found in missing_units.items():
                reason = _unknown_name("责任单位", name, self.units)
                for row in found:
                    row.errors.append((H_UNIT, reason))
            for name, found in missing_leaders.items():
                reason = _unknown_name("联系市领导", name, [*self.leaders, *self.leader_titles])
                for row in found:
                    row.errors.append((H_LEADER, reason))
        new_platforms = Platform.objects.bulk_create([Platform(name=name) for name in missing_platforms])
        self.platforms.update((platform.name, platform) for platform in new_platforms)
        result.created_platforms.extend(missing_platforms)


def _unknown_name(kind, name, known):
    close = difflib.get_close_matches(name, list(known), n=5, cutoff=0.4)
    hint = f"，相近的有：{'、'.join(close)}" if close else ""
    return f"系统中没有名为「{name}」的{kind}{hint}（如确为新{kind}，请勾选「自动新建」或在命令行加 --create-missing 后重新导入）"


# --- building projects in memory ----------------------------------------------------------------


class _Plan:
    """What a part of the import will write, collected in memory (`_build`)."""

    def __init__(self):
        self.new_projects, self.changed_projects, self.changed_fields = [], [], set()
        self.new_nodes, self.changed_nodes, self.stale_node_ids = [], [], []
        self.due_changed = []  # existing projects whose next_due moves
        self.logs = []
        # (project or node, its state before the import) for the audit trail; None: new.
        self.before = []

    def projects(self):
        """The new and changed projects."""
        return [*self.new_projects, *self.changed_projects]


def _log(project, transition, *, source, target, user, **values):
    """A history row (TransitionLog) as the columns to insert; its project gets its id at the write."""
    return {"project": project, "transition": transition, "source_state": source, "target_state": target,
            "note": IMPORT_NOTE, "by_id": user.pk if user is not None else None, **values}


# The values an import may change, as a tuple read in one call (compared before and after each row).
_project_values = operator.attrgetter(*_UPDATABLE)
_node_values = operator.attrgetter(*_NODE_FIELDS)


class _RowImport:
    """Moves one project into the state its row describes, in memory, collecting cell errors."""

    def __init__(self, row, *, project, nodes, refs, rules, today, user):
        self.row, self.project, self.refs, self.rules = row, project, refs, rules
        self.today, self.user = today, user
        self.nodes = nodes  # node type -> Node (existing ones from the database)
        self.logs, self.stale = [], []

    def bad(self, header, reason):
        self.row.errors.append((header, reason))

    def apply(self):
        row, project = self.row, self.project
        if project.pk:
            self._check_not_behind()
            if row.errors:
                return
        self._set_fields()
        steps = self._steps()
        reason = row.remark or IMPORT_NOTE
        if project.status == Status.SUSPENDED and (steps or row.status not in (Status.SUSPENDED, Status.TERMINATED)):
            # The ledger says it moved on: it resumes first, at the latest on its next event.
            resume_header = steps[0][2] if steps else H_STATUS
            if not self._run(Transition.RESUME, steps[0][1] if steps else self.today, resume_header,
                             prefix="（恢复已暂停的项目）"):
                return
        for name, day, header in steps:
            if not self._run(name, day, header):
                return
        if row.status == Status.SUSPENDED and project.status != Status.SUSPENDED:
            self._run(Transition.SUSPEND, self.today, H_STATUS, reason=reason)
        elif row.status == Status.TERMINATED and project.status != Status.TERMINATED:
            self._run(Transition.TERMINATE, self.today, H_STATUS, reason=reason)
        signed_now = any(name == Transition.SIGN for name, _, _ in steps)
        if not signed_now and project.status not in (Status.NEGOTIATING, Status.TERMINATED):
            # What project_update enforces for an edit: a signed project keeps its sign data.
            for problem in project.sign_problems():
                self.bad(H_SIGNING, problem)
        self._set_nodes()

    def _check_not_behind(self):
        """Re-import never rewinds: a date the system has that the ledger lacks is an error."""
        row, project = self.row, self.project
        if project.signing_date:
            if row.status == Status.NEGOTIATING:
                self.bad(H_STATUS, f"系统中该项目已于 {project.signing_date} 签约，不能改回「在谈」；{REVERT_HINT}")
            elif row.signing_date != project.signing_date:
                self.bad(H_SIGNING, f"系统中签约日期为 {project.signing_date}，台账为{_day(row.signing_date)}；"
                                    f"{REVERT_HINT}")
        for node_type, header in ACTUAL_HEADERS.items():
            node = self.nodes.get(node_type)
            if node is not None and node.actual_date and row.actual.get(node_type) != node.actual_date:
                self.bad(header, f"系统中已记录{header}为 {node.actual_date}，台账为{_day(row.actual.get(node_type))}；"
                                 f"{REVERT_HINT}")
        if project.status == Status.TERMINATED and row.status != Status.TERMINATED:
            self.bad(H_STATUS, f"系统中该项目已终止，台账状态不能为「{STATUS_TEXT.get(row.status, '空')}」；{REVERT_HINT}")

    def _set_fields(self):
        row, project, refs = self.row, self.project, self.refs
        project.name, project.investor = row.name, row.investor
        project.total_investment, project.currency = row.total_investment, row.currency
        project.is_manufacturing = row.is_manufacturing
        project.cluster, project.source, project.channel = row.cluster, row.source, row.channel
        _relate(project, _PLATFORM, refs.platforms.get(row.platform) if row.platform else None)
        _relate(project, _UNIT, refs.units.get(row.unit) if row.unit else None)
        _relate(project, _LEADER, refs.leader(row.leader) if row.leader else None)
        project.needs_new_land, project.land_area = row.needs_new_land, row.land_area
        project.stats_code, project.remark = row.stats_code, row.remark
        for name, value in row.agreed.items():
            setattr(project, name, value)

    def _steps(self):
        """The transitions the row's dates call for that the system has not recorded yet."""
        row, project = self.row, self.project
        steps = []
        if row.status != Status.NEGOTIATING and row.signing_date and not project.signing_date:
            steps.append((Transition.SIGN, row.signing_date, H_SIGNING))
        for node_type, header in ACTUAL_HEADERS.items():
            day = row.actual.get(node_type)
            node = self.nodes.get(node_type)
            if day and not (node is not None and node.actual_date):
                steps.append((STEP_TRANSITION[node_type], day, header))
        return steps

    def _run(self, name, day, header, *, reason="", prefix=""):
        """One transition through the UI's guard and django-fsm method, with its history row."""
        project = self.project
        problems = project.transition_problems(name, effective_date=day, reason=reason, today=self.today)
        if problems:
            for problem in problems:
                self.bad(header, prefix + problem)
            return False
        before = _snapshot(project)
        node_type = TRANSITION_NODE.get(name)
        node = self.nodes.get(node_type) if node_type else None
        before["node_actual"] = node.actual_date.isoformat() if node is not None and node.actual_date else None
        source = project.status
        getattr(project, name)(effective_date=day, reason=reason)
        if node_type:
            if node_type not in self.nodes:
                self.nodes[node_type] = _new_node(project, node_type)
            self.nodes[node_type].actual_date = day
        self.logs.append(_log(project, name, source=source, target=project.status, user=self.user,
                              effective_date=day, previous_values=before))
        return True

    def _set_nodes(self):
        """Section 3 in memory: the applicable nodes, agreed dates as given, the rest derived."""
        row, project, rules = self.row, self.project, self.rules
        wanted = applicable_node_types(project)
        platform_unit = project.platform.unit if project.platform is not None else None
        for node_type in NODE_ORDER:
            if node_type not in wanted:
                continue
            node = self.nodes.get(node_type)
            if node is None:
                node = self.nodes[node_type] = _new_node(project, node_type)
            if node_type == NodeType.SIGN:
                if row.status == Status.NEGOTIATING or not project.signing_date:
                    # A lead's 签约日期 is when it is expected to sign: the sign node's agreed plan.
                    node.planned_date, node.planned_is_agreed = row.signing_date, row.signing_date is not None
                    node.actual_date = None
                else:
                    node.planned_date, node.planned_is_agreed = project.signing_date, False
                    node.actual_date = project.signing_date
            else:
                # A date the file marks 推算 (the export's derived dates) stays derived.
                agreed = None if node_type in row.derived_planned else row.planned.get(node_type)
                node.planned_is_agreed = agreed is not None
                if agreed is not None:
                    node.planned_date = agreed
            _relate(node, _NODE_UNIT, node_unit(project, rules.get(node_type), platform_unit))
        self.stale = [node for node_type, node in self.nodes.items() if node_type not in wanted]
        for node_type in [t for t in self.nodes if t not in wanted]:
            del self.nodes[node_type]
        derive_planned_dates(self.nodes, rules)
        for node_type in row.derived_planned:
            node, written = self.nodes.get(node_type), row.planned.get(node_type)
            if node is not None and written and node.planned_date != written:
                header = PLANNED_HEADERS[node_type]
                row.notes.append((header, f"标为推算的 {written} 按规则重新推算为{_day(node.planned_date)}"
                                          f"（如为约定日期，请去掉单元格的「推算」格式后填写）"))


def _new_node(project, node_type):
    """Node(project=project, node_type=node_type): see `_new`."""
    node = _new(Node)
    node.node_type = node_type
    _relate(node, _NODE_PROJECT, project)
    return node


_NODE_PROJECT, _NODE_UNIT = Node._meta.get_field("project"), Node._meta.get_field("responsible_unit")
_PLATFORM, _UNIT, _LEADER = (Project._meta.get_field(name) for name in ("platform", "responsible_unit", "contact_leader"))


def _relate(obj, field, related):
    """`obj.<field> = related` for a foreign key, without the descriptor's checks of the value (the
    import's own objects, of the right model; 120,000 assignments per 10,000 rows, issue 12): the
    id, and the object cached as the descriptor caches it. A new object's id is taken when it is
    written (projects.bulk)."""
    obj.__dict__[field.attname] = None if related is None else related.pk
    field.set_cached_value(obj, related)


def _new(model):
    """`model()`, without Model.__init__'s walk over every field and its signals: an import makes
    10,000 projects and 58,000 nodes for 10,000 rows, and the constructor was a tenth of building
    them (issue 12). A copy of one constructed instance's attributes (fresh copies of its dicts:
    django-fsm keeps the initial state in one); the constructor itself where that would not be the
    same, for a model with a callable default or an init signal receiver."""
    blank = _blank(model)
    if blank is None:
        return model()
    attributes, dicts = blank
    obj = model.__new__(model)
    obj._state = ModelState()
    obj.__dict__.update(attributes)
    for name in dicts:
        obj.__dict__[name] = attributes[name].copy()
    return obj


@functools.cache
def _blank(model):
    fields = model._meta.concrete_fields
    if any(callable(f.default) for f in fields if f.has_default()) or any(
        signal.has_listeners(model) for signal in (model_signals.pre_init, model_signals.post_init)
    ):
        return None
    attributes = {name: value for name, value in model().__dict__.items() if name != "_state"}
    return attributes, [name for name, value in attributes.items() if type(value) is dict]


def _day(day):
    return f" {day}" if day else "空"


# --- the import ---------------------------------------------------------------------------------


def import_ledger(*, path_or_file, create_missing=False, dry_run=False, user=None, today=None,
                  progress=False) -> ImportResult:
    """Import a ledger workbook (section 9): all or nothing; `result.errors` holds one
    `第N行 <表头>: <原因>` line per bad cell and, when there is any, nothing was written."""
    with bulk.cycle_collector_paused():
        return _import_ledger(path_or_file=path_or_file, create_missing=create_missing, dry_run=dry_run, user=user,
                              today=today, progress=progress)


def _import_ledger(*, path_or_file, create_missing, dry_run, user, today, progress):
    today = today or local_today()
    result = ImportResult(dry_run=dry_run)
    skipped_rows, factor_sheets = [], []
    try:
        with _ledger_rows(path_or_file, result, skipped_rows=skipped_rows, factor_sheets=factor_sheets,
                          progress=progress) as records:
            if records is None or result.errors:
                return result
            _import_records(records, result, skipped_rows=skipped_rows, factor_sheets=factor_sheets,
                            create_missing=create_missing, dry_run=dry_run, user=user, today=today)
    except _Unreadable as exc:  # the import's transaction is rolled back: nothing written
        logger.warning("ledger: cannot read workbook rows: %s", exc)
        result = ImportResult(dry_run=dry_run)
        result.errors = [exc.message]
    except OperationalError as exc:
        if not _waited_too_long(exc):
            raise
        logger.warning("ledger import: another import held the ledger for over %s s: %s", IMPORT_WAIT_SECONDS, exc)
        result = ImportResult(dry_run=dry_run, busy=True)
        result.errors = [f"另一份台账正在导入（已等待 {IMPORT_WAIT_SECONDS} 秒），请等其完成后再试"]
    return result


# Imports run one at a time: two imports of the same new codes would otherwise both insert them
# (one then fails on the unique code), and two updates of one project would interleave. A second
# import waits this long for the first, then is told to try again (never a 500 or a traceback).
IMPORT_WAIT_SECONDS = 20
_IMPORT_LOCK = 0x535A4C47  # the advisory lock's key, any constant the application uses for nothing else


def _one_import_at_a_time():
    """PostgreSQL: a transaction-level advisory lock. SQLite has a single writer and the import's
    transaction starts with BEGIN IMMEDIATE (settings), which takes it: waiting is built in."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('lock_timeout', %s, true)", [f"{IMPORT_WAIT_SECONDS}s"])
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_IMPORT_LOCK])
        cursor.execute("SELECT set_config('lock_timeout', '0', true)")


def _waited_too_long(exc: OperationalError) -> bool:
    """PostgreSQL's lock_timeout (SQLSTATE 55P03) or SQLite's busy timeout."""
    return getattr(exc.__cause__, "sqlstate", None) == "55P03" or "database is locked" in str(exc)


def _import_records(records, result, *, skipped_rows, factor_sheets, create_missing, dry_run, user, today):
    """Import the rows as they are read, PART_ROWS at a time: each part's projects locked, its rows
    checked and built, and, while the sheet has no bad cell so far, written (bulk's writer thread)
    while the next part is read and built. A bad cell anywhere rolls back the whole import, as
    before any part was written; every row is still checked, for the complete list of errors."""
    with transaction.atomic(), audit_channel(AuditChannel.IMPORT, user=user):
        _one_import_at_a_time()
        refs, rules, check = _References(), rules_by_type(), ValueCheck(Project)
        rows, first_rows, changed = [], {}, []
        at = timezone.now()
        ContentType.objects.get_for_models(*_WRITTEN)  # the audit's, read before the writer starts
        with bulk.writer(_WRITTEN) if not dry_run else contextlib.nullcontext() as writer:
            writing = not dry_run
            pending = None  # the part built last, written once the next part's queries are done
            for part in _parts(records, PART_ROWS):
                existing, nodes_of, part_rows = _read_part(part, refs, first_rows, create_missing=create_missing,
                                                           result=result)
                rows.extend(part_rows)
                writing = writing and not any(row.errors for row in part_rows)
                ids = _ids_ahead(part_rows, existing) if writing else None
                if pending is not None and writing:
                    # Sent after this part's queries, which would otherwise wait for the statement
                    # the writer is running; the writer then works while this part is built.
                    _write(*pending, writer, at=at)
                pending = None
                plan = _build(part_rows, existing=existing, nodes_of=nodes_of, refs=refs, rules=rules, check=check,
                              today=today, user=user, result=result)
                writing = writing and not any(row.errors for row in part_rows)
                changed.extend(plan.projects())
                if writing:
                    pending = (plan, ids)
            errors = sorted(
                (row.number, HEADER_ORDER.get(header, -1), header, reason)
                for row in rows for header, reason in row.errors
            )
            result.errors = [f"第{number}行 {header}: {reason}" for number, _, header, reason in errors]
            factors = ledger_factors.check(factor_sheets[0] if factor_sheets else None, rows=rows,
                                           errors=result.errors)
            row_notes = [*skipped_rows, *((row.number, f"第{row.number}行 {header}: {text}")
                                          for row in rows for header, text in row.notes)]
            result.notes.extend(text for _, text in sorted(row_notes, key=lambda note: note[0]))
            result.skipped.extend(text for _, text in skipped_rows)
            if result.errors or dry_run:
                if not result.errors:
                    _count_factor_changes(result, ledger_factors.changed_codes(factors))
                if writer is not None:
                    writer.abandon()  # what it has not sent yet would be rolled back
                # Units, leaders and platforms made for the check are undone with everything else.
                transaction.set_rollback(True)
                return
            if pending is not None:
                _write(*pending, writer, at=at)
        _count_factor_changes(result, ledger_factors.write(factors, today=today, user=user))
        _notify(changed)
    logger.info("ledger import: %s created, %s updated, %s unchanged", len(result.created),
                len(result.updated), len(result.unchanged))


def _read_part(part, refs, first_rows, *, create_missing, result):
    """A part's rows read and checked cell by cell (section 9), with its projects locked and loaded:
    (existing projects by code, their nodes by project id, the rows)."""
    existing, nodes_of = _lock_existing(part, refs, skip=first_rows.keys())
    rows = [_parse_row(number, _with_system_values(values, existing, nodes_of)) for number, values in part]
    for row in rows:
        _check_cells(row)
    _check_duplicate_codes(rows, first_rows)
    refs.resolve(rows, create_missing=create_missing, result=result)
    return existing, nodes_of, rows


def _parts(records, size):
    # itertools.batched, which needs Python 3.12.
    records = iter(records)
    while part := list(itertools.islice(records, size)):
        yield part


def _count_factor_changes(result, codes):
    """A project whose only change is on the 要素保障 sheet was updated too."""
    for code in codes:
        if code in result.unchanged:
            result.unchanged.remove(code)
            result.updated.append(code)


def _lock_existing(cells, refs, *, skip=frozenset()):
    """The projects the ledger's codes name, locked so that a transition made meanwhile in the UI
    cannot be lost, by code, and their nodes by project id (two queries). Read as rows and made
    into instances here (`_loaded`), the projects' platform, unit and leader taken from `refs`:
    Django's instances, with select_related and the prefetched nodes, cost more than the rest of
    a re-import of unchanged rows (issue 12). `skip`: codes of earlier rows, whose repetition is a
    bad row whatever the database holds (one an earlier part created may or may not be written yet)."""
    codes = {_CellReader(number, values).text(H_CODE) for number, values in cells} - {""} - skip
    alias = connection.alias
    rows = (Project.objects.select_for_update(of=("self",)).filter(InArray(F("code"), list(codes)))
            .values_list(*_PROJECT_COLUMNS))
    existing, by_id = {}, {}
    related = [(foreign_key, getattr(refs, name)) for foreign_key, name in _PROJECT_REFS]
    for values in rows:
        project = _loaded(Project, _PROJECT_COLUMNS, values, alias)
        for foreign_key, known in related:
            foreign_key.set_cached_value(project, known.get(project.__dict__[foreign_key.attname]))
        existing[project.code] = by_id[project.pk] = project
    nodes_of = {pk: [] for pk in by_id}
    if by_id:
        for values in Node.objects.filter(InArray(F("project_id"), list(by_id))).values_list(*_NODE_COLUMNS):
            node = _loaded(Node, _NODE_COLUMNS, values, alias)
            project_id = node.__dict__["project_id"]
            _NODE_PROJECT.set_cached_value(node, by_id[project_id])
            nodes_of[project_id].append(node)
    return existing, nodes_of


_PROJECT_COLUMNS = [f.attname for f in Project._meta.concrete_fields]
_NODE_COLUMNS = [f.attname for f in Node._meta.concrete_fields]
# The related objects select_related gave the loaded projects, and the `_References` maps by id.
_PROJECT_REFS = [(_PLATFORM, "platforms_by_id"), (_UNIT, "units_by_id"), (_LEADER, "leaders_by_id")]


def _loaded(model, names, values, alias):
    """`model.from_db(alias, names, values)` for a row of every concrete field, made as `_new` makes
    a new instance (10,000 projects and 58,000 nodes per 10,000 rows): for a model whose constructor
    only sets its fields, and django-fsm's ConcurrentTransitionMixin's, which then records the state
    fields' values as loaded (what its save compares); any other model through its constructor."""
    state_fields = _fast_load(model)
    if state_fields is None:
        return model.from_db(alias, names, values)
    obj = _new(model)
    obj.__dict__.update(zip(names, values))
    obj._state.adding, obj._state.db = False, alias
    if state_fields:
        # ConcurrentTransitionMixin._update_initial_state, its fields found once rather than per object.
        obj._ConcurrentTransitionMixin__initial_states = {name: obj.__dict__[name] for name in state_fields}
    return obj


@functools.cache
def _fast_load(model):
    """The attnames of the state fields `_loaded` records for `model` ([] for none), or None when
    it is to be made by its constructor."""
    constructors = {cls for cls in model.__mro__ if "__init__" in cls.__dict__}
    if _blank(model) is None or not {object, Model, ConcurrentTransitionMixin}.issuperset(constructors):
        return None
    if ConcurrentTransitionMixin not in constructors:
        return []
    return [f.attname for f in model._meta.fields if isinstance(f, FSMFieldMixin)]


def _with_system_values(values, existing, nodes_of):
    """A column the file leaves out says nothing about an existing project: it keeps what the system
    has (the cell the export would write), so a partial ledger neither clears a contact leader nor
    turns an agreed planned date (section 3) back into a derived one, nor resumes a suspended project."""
    project = existing.get(_CellReader(0, values).text(H_CODE))
    if project is None or _HEADER_SET <= values.keys():  # every column given: the file says it all
        return values
    return {**dict(zip(HEADERS, _export_row(project, nodes_of[project.pk]), strict=True)), **values}


# Where a project field comes from in the ledger, to report projects.validation's findings by header.
FIELD_HEADERS = {
    "code": H_CODE, "name": H_NAME, "investor": H_INVESTOR, "total_investment": H_AMOUNT,
    "currency": H_AMOUNT_UNIT, "is_manufacturing": H_MANUFACTURING, "cluster": H_CLUSTER, "source": H_SOURCE,
    "channel": H_CHANNEL, "needs_new_land": H_NEEDS_LAND, "land_area": H_LAND_AREA, "signing_date": H_SIGNING,
    "stats_code": H_STATS_CODE, "remark": H_REMARK, "status_reason": H_REMARK,
}


def _check_cells(row):
    """docs/DOMAIN.md section 12 for what is not a project field (names that may be created, node
    dates), before any unit, leader or platform is made from the row. The project's own fields are
    checked after the row is applied (projects.validation.ValueCheck: value_errors for many rows)."""
    for header, attribute in ((H_PLATFORM, "platform"), (H_UNIT, "unit"), (H_LEADER, "leader")):
        problem = text_problem(getattr(row, attribute))
        if problem:
            row.errors.append((header, problem))
        if any(bad_header == header for bad_header, _ in row.errors):
            # Refused (too long, control characters): it must not be created by --create-missing either.
            setattr(row, attribute, "")
    dates = [(H_SIGNING, row.signing_date), *((PLANNED_HEADERS[t], d) for t, d in row.planned.items()),
             *((ACTUAL_HEADERS[t], d) for t, d in row.actual.items())]
    for header, day in dates:
        if date_problem(day):
            row.errors.append((header, date_problem(day)))


def _check_duplicate_codes(rows, first_row):
    """`first_row`: the row number of each code seen so far, in this part and the earlier ones."""
    for row in rows:
        if not row.code:
            continue
        if row.code in first_row:
            row.errors.append((H_CODE, f"项目编号「{row.code}」与第{first_row[row.code]}行重复"))
        else:
            first_row[row.code] = row.number


def _as_loaded(instance, attributes):
    """A stand-in for `instance` as it was loaded, from a copy of its attributes (copy.copy of every
    existing project and node before each row cost more than the row, issue 12)."""
    old = type(instance).__new__(type(instance))
    old.__dict__.update(attributes)
    return old


def _build(rows, *, existing, nodes_of, refs, rules, check, today, user, result):
    """The plan of what `rows` (a part of the sheet) change, made in memory."""
    plan = _Plan()
    for row in rows:
        if row.errors:
            continue
        project = existing.get(row.code)
        is_new = project is None
        if is_new:
            project = _new(Project)
            project.code, project.created_by = row.code, user
            nodes, before, node_before = {}, None, {}
        else:
            nodes = {node.node_type: node for node in nodes_of[project.pk]}
            before = _project_values(project)
            node_before = {node_type: _node_values(node) for node_type, node in nodes.items()}
            # The attributes as loaded, for the audit's "before" of what the row changes.
            old_project, old_nodes = project.__dict__.copy(), {t: node.__dict__.copy() for t, node in nodes.items()}
        row_import = _RowImport(row, project=project, nodes=nodes, refs=refs, rules=rules, today=today, user=user)
        row_import.apply()
        for field_name, messages in check.errors(project).items():
            row.errors.extend((FIELD_HEADERS.get(field_name, H_STATUS), message) for message in messages)
        if row.errors:
            continue
        # Section 4's earliest pending date, from the nodes as the import leaves them (not audited:
        # derived; the nodes' own changes are).
        due = next_due_of(project.status, nodes.values())
        if due != project.next_due:
            project.next_due = due
            if not is_new:
                plan.due_changed.append(project)
        if is_new:
            plan.new_projects.append(project)
            plan.logs.append(_log(project, TransitionLog.CREATE, source="", target=Status.NEGOTIATING, user=user))
            plan.new_nodes.extend(nodes.values())
            plan.before.append((project, None))
            plan.before.extend((node, None) for node in nodes.values())
            result.created.append(row.code)
            result.new_names[row.code] = project.name
        else:
            changed = {name for name, old, new in zip(_UPDATABLE, before, _project_values(project)) if old != new}
            nodes_changed = bool(row_import.stale)
            plan.stale_node_ids.extend(node.pk for node in row_import.stale if node.pk)
            for node_type, node in nodes.items():
                if node.pk is None:
                    plan.new_nodes.append(node)
                    plan.before.append((node, None))
                    nodes_changed = True
                elif node_before.get(node_type) != _node_values(node):
                    plan.changed_nodes.append(node)
                    plan.before.append((node, _as_loaded(node, old_nodes[node_type])))
                    nodes_changed = True
            if changed:
                plan.before.append((project, _as_loaded(project, old_project)))
            if changed or nodes_changed or row_import.logs:
                plan.changed_projects.append(project)
                plan.changed_fields |= changed
                result.updated.append(row.code)
            else:
                result.unchanged.append(row.code)
        plan.logs.extend(row_import.logs)
    return plan


# Tables the import writes in bulk (their foreign keys are checked by bulk's writer), and how many
# rows make a part, read, locked, built and written together. Each part's queries (the lock, the
# ids) wait for the writer's statement in progress, and the last part's write is all the import
# waits for after the last row: measured on a 10,000-row first run (two cores), parts of 500 rows
# waited ~0.5 s on the lock queries, 1,000 ~0.1 s, and 2,000 were the fastest (0.2 s faster than
# 1,000, with ~0.25 s left to write after the last row).
_WRITTEN = [Project, Node, TransitionLog, AuditEntry]
PART_ROWS = 2000


def _ids_ahead(rows, existing):
    """The ids the new projects of a part and their nodes will have, taken before its write (bulk.ReservedIds):
    one per new project, one per node it will have (section 3: each step's, the land's only when it
    needs new land). A node an existing project gains takes its id when it is written."""
    ids = bulk.ReservedIds()
    new = [row for row in rows if row.code not in existing]
    ids.reserve(Project, len(new))
    ids.reserve(Node, sum(len(node_types_for(needs_new_land=row.needs_new_land)) for row in new))
    return ids


def _write(plan, ids, writer, *, at):
    """A handful of bulk statements (projects.bulk) for `plan`, sent by `writer` when there is one;
    the caller's transaction makes them all or nothing. `at`: the moment of the whole import; `ids`:
    the ids taken ahead (`_ids_ahead`)."""
    if plan.stale_node_ids:
        # Through the ORM, whose signals record the deletes (psycopg makes it wait for the writer).
        Node.objects.filter(pk__in=plan.stale_node_ids).delete()
    bulk.number(Project, plan.new_projects, ids=ids)
    bulk.number(Node, plan.new_nodes, ids=ids)
    bulk.insert(Project, plan.new_projects, writer=writer)
    if plan.changed_projects:
        for project in plan.changed_projects:
            project.updated_at = at
        # The status field is protected against assignment, not against a bulk update, which only reads it.
        bulk.update(Project, plan.changed_projects, [*sorted(plan.changed_fields), "updated_at"], writer=writer)
    if plan.due_changed:
        bulk.update(Project, plan.due_changed, ["next_due"], writer=writer)
    bulk.insert(Node, plan.new_nodes, writer=writer)
    if plan.changed_nodes:
        bulk.update(Node, plan.changed_nodes, _NODE_FIELDS, writer=writer)
    for log in plan.logs:
        log["project_id"] = log.pop("project").pk
    bulk.insert(TransitionLog, plan.logs, ids=False, writer=writer)
    # Bulk inserts and updates send no model signals (the stale nodes' DELETE above does): the audit
    # trail gets their rows here, in bulk too.
    actions = [(AuditEntry.Action.CREATE if old is None else AuditEntry.Action.UPDATE, old, new)
               for new, old in plan.before]
    bulk.insert(AuditEntry, audit_rows(actions, at=at), ids=False, writer=writer)


def _notify(projects):
    """Tell the apps above that these projects changed (reminders re-armed, red nodes escalated, as
    after a transition): one signal for all of them; notifications queues that work for after the
    commit."""
    if not projects:
        return
    signals.projects_changed.send(sender=Project, project_ids=[project.pk for project in projects])


# --- export -------------------------------------------------------------------------------------

# The export is a document people print and hand around, and still the import's format: a title
# and a note row above the header row (the import skips them), the read-only columns beside the
# code and name, every planned date with the derived ones marked 推算 (they stay derived on import).
EXPORT_HEADERS = [H_CODE, H_NAME, *READ_ONLY_HEADERS, *[h for h in HEADERS if h not in (H_CODE, H_NAME)]]
EXPORT_TITLE = "嵊州市重大项目台账"
EXPORT_NOTE = (f"说明：灰色并注明「{DERIVED_MARK}」的计划日期由系统按规则推算，导入时仍按推算处理；"
               f"{'、'.join(READ_ONLY_HEADERS)}为只读列，导入时忽略；状态列只填在谈、已暂停、已终止，其余由实际日期决定。")
EXPORT_HEADER_ROW = 3
DERIVED_DATE_FORMAT = f'yyyy-mm-dd"（{DERIVED_MARK}）"'
LIGHT_TEXT = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}
# Narrow enough that the 29 columns stay legible on one A3 page width.
_COLUMN_WIDTHS = {H_CODE: 14, H_NAME: 30, H_INVESTOR: 26, H_REMARK: 24, H_UNIT: 16, H_PLATFORM: 14,
                  H_LEADER: 18, H_STATS_CODE: 16, H_CURRENT_STATUS: 8, H_LIGHT: 8, H_OVERDUE_DAYS: 8,
                  H_MANUFACTURING: 6, H_NEEDS_LAND: 6, H_SOURCE: 6, H_AMOUNT_UNIT: 8,
                  **{h: 17 for h in PLANNED_HEADERS.values()}}
_EXPORT_FORMATS = {H_AMOUNT: excel.AMOUNT_FORMAT, H_LAND_AREA: excel.AREA_FORMAT, H_OVERDUE_DAYS: excel.INTEGER_FORMAT}


def export_ledger(*, projects_queryset, stream, as_of=None) -> int:
    """Write `projects_queryset` as the printable ledger to `stream`, in the import's format so
    that export → import changes nothing: amounts in 万元/万美元, real date cells, derived planned
    dates marked 推算, 状态 only for 在谈/已暂停/已终止 (the rest follows from the actual dates).
    A3 landscape, fitted to the width, header rows repeated on each page, panes frozen. Three
    queries whatever the number of projects. Returns the number of projects written."""
    as_of = as_of or local_today()
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("项目台账")
    excel.set_column_widths(sheet, [_COLUMN_WIDTHS.get(h, excel.text_width(h, minimum=10)) for h in EXPORT_HEADERS])
    sheet.freeze_panes = f"C{EXPORT_HEADER_ROW + 1}"  # code and name stay in view
    excel.print_setup(sheet, title=EXPORT_TITLE, title_rows=f"1:{EXPORT_HEADER_ROW}", paper=excel.PAPER_A3)
    sheet.append([excel.title_cell(sheet, f"{EXPORT_TITLE}（截至 {as_of:%Y年%m月%d日}）")])
    sheet.append([excel.note_cell(sheet, EXPORT_NOTE)])
    last = openpyxl.utils.get_column_letter(len(EXPORT_HEADERS))
    sheet.merged_cells.add(f"A1:{last}1")
    sheet.merged_cells.add(f"A2:{last}2")
    sheet.append(excel.header_cells(sheet, EXPORT_HEADERS))
    queryset = projects_queryset.select_related("platform", "responsible_unit", "contact_leader")
    if "light" not in queryset.query.annotations:
        from milestones.selectors import annotate_light

        queryset = annotate_light(queryset, as_of=as_of)
    count = 0
    # Not .iterator(): it would fetch the nodes once per chunk; 10,000 projects fit in memory.
    for project in queryset.prefetch_related("nodes"):
        sheet.append(_export_cells(sheet, project))
        count += 1
    ledger_factors.export_factor_sheet(workbook, projects_queryset)
    workbook.save(stream)
    return count


def _export_cells(sheet, project):
    values = dict(zip(HEADERS, _export_row(project), strict=True))
    values[H_CURRENT_STATUS] = Status(project.status).label
    values[H_LIGHT] = LIGHT_TEXT.get(project.light)
    values[H_OVERDUE_DAYS] = project.max_overdue_days
    derived = {}
    for node in project.nodes.all():
        header = PLANNED_HEADERS.get(node.node_type)
        if header and not node.planned_is_agreed and node.planned_date:
            values[header] = derived[header] = node.planned_date
    cells = []
    for header in EXPORT_HEADERS:
        if header in derived:
            cells.append(excel.cell(sheet, derived[header], number_format=DERIVED_DATE_FORMAT, font=excel.DERIVED_FONT))
        elif header == H_LIGHT and project.light:
            cells.append(excel.light_cell(sheet, values[header], project.light))
        else:
            cells.append(excel.cell(sheet, values[header], number_format=_EXPORT_FORMATS.get(header)))
    return cells


def _export_row(project, nodes=None):
    """The import's cells for `project`, in HEADERS order: what a re-import reads back unchanged
    (derived planned dates are left out here, so a column missing from a file keeps them derived).
    `nodes`: the project's nodes, when they are not prefetched."""
    nodes = {node.node_type: node for node in (project.nodes.all() if nodes is None else nodes)}
    sign = nodes.get(NodeType.SIGN)
    signing = project.signing_date
    if signing is None and sign is not None and sign.planned_is_agreed:
        signing = sign.planned_date
    values = {
        H_CODE: project.code,
        H_NAME: project.name,
        H_INVESTOR: project.investor,
        H_AMOUNT: project.total_investment.normalize() if project.total_investment is not None else None,
        H_AMOUNT_UNIT: AMOUNT_UNIT_LABEL[project.currency],
        H_MANUFACTURING: {True: "是", False: "否"}.get(project.is_manufacturing),
        H_CLUSTER: project.cluster,
        H_SOURCE: project.source,
        H_CHANNEL: project.channel,
        H_PLATFORM: project.platform.name if project.platform else None,
        H_UNIT: project.responsible_unit.name if project.responsible_unit else None,
        H_LEADER: project.contact_leader.name if project.contact_leader else None,
        H_NEEDS_LAND: "是" if project.needs_new_land else "否",
        H_LAND_AREA: project.land_area,
        H_SIGNING: signing,
        H_STATS_CODE: project.stats_code,
        H_STATUS: STATUS_TEXT.get(project.status, ""),
        H_REMARK: project.remark,
    }
    for node_type, header in PLANNED_HEADERS.items():
        node = nodes.get(node_type)
        values[header] = node.planned_date if node is not None and node.planned_is_agreed else None
    for node_type, header in ACTUAL_HEADERS.items():
        node = nodes.get(node_type)
        values[header] = node.actual_date if node is not None else None
    for name, header in AGREED_HEADERS.items():
        value = getattr(project, name)
        values[header] = value.normalize() if value is not None else None
    # An empty text cell is written as no cell at all, as a person filling the ledger would leave it.
    return [None if values[header] == "" else values[header] for header in HEADERS]
