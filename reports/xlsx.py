"""The reports as Excel workbooks (openpyxl): one sheet per table, frozen header row, column widths,
dates as dates, amounts with 万元/亿元 number formats. Cell helpers come from projects/excel.py, whose
`cell` writes text beginning with = + - @ as text, never as a formula."""

import datetime
import io
from decimal import Decimal

from openpyxl import Workbook

from projects.compliance import INDICATORS
from projects.excel import (
    AMOUNT_FORMAT,
    FORMULA_PREFIXES,
    INTEGER_FORMAT,
    PERCENT_FORMAT,
    cell,
    setup_sheet,
    text_width,
)

from milestones.factor_selectors import report_factors

from . import selectors
from .compliance import compliance_report
from .factors import totals_rows
from .pdf import LIGHT_LABELS

WAN_FORMAT = {"万元": f'{AMOUNT_FORMAT}"万元"', "万美元": f'{AMOUNT_FORMAT}"万美元"'}
YI_FORMAT = {"万元": f'{AMOUNT_FORMAT}"亿元"', "万美元": f'{AMOUNT_FORMAT}"亿美元"'}


def add_table(workbook: Workbook, title: str, headers: list[str], rows: list[list], *,
              widths: list[float] | None = None, formats: dict[int, str] | None = None,
              row_formats: list[dict] | None = None) -> None:
    """A sheet with a styled, frozen header row. `formats`: column index -> number format;
    `row_formats`: one {column index: format} per row, for formats that depend on the row (currency)."""
    sheet = workbook.create_sheet(title)
    if widths is None:
        widths = []
        for index, header in enumerate(headers):
            sample = [header] + [row[index] for row in rows[:200] if row[index] is not None]
            widths.append(max(text_width(value, minimum=8, maximum=50) for value in sample))
    setup_sheet(sheet, headers, widths=widths)
    for index, row in enumerate(rows):
        row_format = dict(formats or {})
        if row_formats:
            row_format.update(row_formats[index])
        sheet.append(_row(sheet, row, row_format))


def _row(sheet, values: list, number_formats: dict[int, str]) -> list:
    """row_cells, with a styled cell only where a value needs one (a number format, text that would
    read as a formula) and the plain value elsewhere: a cell object per value was most of the time of
    an 88,000-value sheet, and an empty cell is left out rather than written with a format."""
    return [
        value if value is None or (index not in number_formats and _plain(value))
        else cell(sheet, value, number_format=number_formats.get(index))
        for index, value in enumerate(values)
    ]


def _plain(value) -> bool:
    if isinstance(value, str):
        return not value.startswith(FORMULA_PREFIXES)
    return isinstance(value, (int, float))


def to_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def new_workbook() -> Workbook:
    # Write-only: rows stream to the file, so a long list does not hold every cell object.
    return Workbook(write_only=True)


def as_date(value):
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def amount_columns(value) -> list:
    """The amount in 万 and in 亿 of its own currency (never converted)."""
    if value is None:
        return [None, None]
    value = Decimal(str(value))
    return [value, value / 10000]


def amount_formats(units: list[str], column: int = 2) -> list[dict]:
    """Per row: the 万 column and the 亿 column after it, labelled in the row's own currency."""
    return [{column: WAN_FORMAT[unit], column + 1: YI_FORMAT[unit]} for unit in units]


# --- the 1330 report ------------------------------------------------------------------------------


def progress_1330_xlsx(*, year: int, as_of: datetime.date) -> bytes:
    report = selectors.progress_1330(year=year, as_of=as_of)
    workbook = new_workbook()
    targets, counts, completion, pace = report["targets"], report["counts"], report["completion"], report["pace"]
    summary = [
        ["统计年度", year, None],
        ["统计截止日期", as_of, None],
        ["时间进度（序时进度）", report["time_progress"], "1月1日至截止日期的天数 ÷ 全年天数"],
    ]
    for level, label in (("100m", "亿元以上制造业项目"), ("1b", "10亿元以上制造业项目")):
        expected = pace[level]["expected"]
        summary += [
            [f"{label}·年度目标（个）", targets[level], None],
            [f"{label}·已完成（个）", counts[level], None],
            [f"{label}·完成率", completion[level], None],
            [f"{label}·序时应完成（个）", expected, selectors.EXPECTED_RULE if expected is not None else "未设目标"],
            [f"{label}·进度判断", pace[level]["label"],
             f"已完成 {counts[level]} 个，序时应完成 {expected} 个" if expected is not None else None],
        ]
    for entry in report["landing_rate"].values():
        summary.append([f"{entry['label']}（截至{entry['deadline']}）", entry["rate"],
                        None if entry["rate"] is not None else "该日期过后统计"])
    add_table(workbook, "汇总", ["指标", "数值", "备注"], summary, widths=[40, 16, 44],
              row_formats=[{1: PERCENT_FORMAT} if ("率" in row[0] or "进度" in row[0]) and isinstance(row[1], float)
                           else {} for row in summary])
    add_table(
        workbook, "分月", ["月份", "当月签约（个）", "累计签约（个）", "10亿元以上当月（个）"],
        [[month, report["by_month"][month], report["cumulative_by_month"][month],
          report["levels"]["1b"]["by_month"].get(month, 0)] for month in report["by_month"]],
        formats={1: INTEGER_FORMAT, 2: INTEGER_FORMAT, 3: INTEGER_FORMAT},
    )
    breakdown = []
    for label, key in (("产业集群", "by_cluster"), ("项目来源", "by_source"), ("招商方式", "by_channel"),
                       ("所在平台", "by_platform")):
        breakdown += [[label, name, count] for name, count in report[key].items()]
    add_table(workbook, "分类", ["分类", "名称", "项目数（个）"], breakdown, widths=[12, 24, 14])
    add_table(
        workbook, "节点推进", ["节点", "已达到（个）", "占比"],
        [[selectors.STEP_LABELS[key], value, selectors.ratio(value, counts["100m"])]
         for key, value in report["node_reached"].items()],
        formats={2: PERCENT_FORMAT}, widths=[12, 14, 10],
    )
    add_table(
        workbook, "任务分解",
        ["排名", "平台", "亿元以上目标", "已完成", "完成率", "10亿元以上目标", "已完成", "完成率"],
        [[item["rank"], item["platform"], item["targets"]["100m"], item["counts"]["100m"], item["completion"]["100m"],
          item["targets"]["1b"], item["counts"]["1b"], item["completion"]["1b"]] for item in report["task_split"]]
        # A header alone reads as a broken file: say why the sheet is empty and where to fill it.
        or [[None, f"{year}年未设置任务分解（系统管理 → 平台任务分解）", None, None, None, None, None, None]],
        formats={4: PERCENT_FORMAT, 7: PERCENT_FORMAT},
    )
    add_table(
        workbook, "项目清单",
        ["项目编号", "项目名称", "总投资（万）", "总投资（亿）", "签约日期", "产业集群", "项目来源", "招商方式", "所在平台",
         "责任单位", "联系市领导", "当前状态", "10亿元以上", "供地日期", "开工日期", "入库日期", "投产日期",
         "达产日期"],
        [[row["code"], row["name"], *amount_columns(row["total_investment"]),
          as_date(row["signing_date"]), row["cluster"], row["source"], row["channel"], row["platform"],
          row["responsible_unit"], row["contact_leader"], row["status_label"], "是" if "1b" in row["levels"] else "否",
          *[as_date(row["actual_dates"][node]) for node in ("land", "start", "statistics", "production", "capacity")]]
         for row in report["rows"]],
        widths=[12, 30, 16, 14, 12, 18, 10, 12, 14, 18, 12, 10, 10, 12, 12, 12, 12, 12],
        row_formats=amount_formats([row["amount_unit"] for row in report["rows"]]),
    )
    return to_bytes(workbook)


# --- the weekly bulletin -----------------------------------------------------------------------------


def overdue_sheet(workbook, rows):
    add_table(
        workbook, "逾期节点", ["项目编号", "项目名称", "节点", "计划日期", "逾期天数", "亮灯", "责任单位", "联系市领导"],
        [[r["code"], r["name"], r["node"], r["planned_date"], r["overdue_days"], LIGHT_LABELS[r["light"]], r["unit"],
          r["leader"]] for r in rows],
        widths=[12, 30, 8, 12, 10, 8, 20, 14],
    )


def problem_sheet(workbook, title, rows):
    add_table(
        workbook, title, ["项目编号", "项目名称", "类别", "问题描述", "交办单位", "提出日期", "答复期限", "状态", "逾期未答复"],
        [[r["code"], r["name"], r["category"], r["description"], r["unit"], r["raised_on"], r["reply_by"], r["status"],
          "是" if r["reply_overdue"] else "否"] for r in rows],
        widths=[12, 26, 8, 40, 18, 12, 12, 10, 10],
    )


def bulletin_xlsx(*, as_of: datetime.date) -> bytes:
    data = selectors.bulletin_data(as_of=as_of)
    workbook = new_workbook()
    add_table(
        workbook, "新签约项目",
        ["项目编号", "项目名称", "总投资（万）", "总投资（亿）", "产业集群", "所在平台", "责任单位", "签约日期", "亿元以上制造业",
         "10亿元以上制造业"],
        [[r["code"], r["name"], *amount_columns(r["total_investment"]), r["cluster"], r["platform"],
          r["unit"], r["signing_date"], "是" if r["is_100m"] else "否", "是" if r["is_1b"] else "否"]
         for r in data["new_signings"]],
        widths=[12, 30, 16, 14, 18, 14, 18, 12, 14, 16],
        row_formats=amount_formats([r["amount_unit"] for r in data["new_signings"]]),
    )
    add_table(
        workbook, "完成节点", ["项目编号", "项目名称", "节点", "完成日期", "计划日期", "是否按期", "责任单位"],
        [[r["code"], r["name"], r["node"], r["actual_date"], r["planned_date"], "按期" if r["on_time"] else "逾期完成",
          r["unit"]] for r in data["node_completions"]],
        widths=[12, 30, 8, 12, 12, 10, 20],
    )
    add_table(
        workbook, "亮灯晾晒", ["排名", "责任单位", "红灯", "黄灯", "绿灯", "项目合计", "绿灯率", "逾期节点"],
        [[r["rank"], r["unit"], r["red"], r["yellow"], r["green"], r["total"], r["green_rate"], r["overdue_nodes"]]
         for r in data["lights_by_unit"]],
        formats={6: PERCENT_FORMAT}, widths=[8, 24, 8, 8, 8, 10, 10, 10],
    )
    add_table(
        workbook, "问题答复排名", ["排名", "交办单位", "交办问题", "应答复", "按时答复", "超期答复", "逾期未答复", "按时答复率"],
        [[r["rank"], r["unit"], r["assigned"], r["due"], r["on_time"], r["late"] - r["overdue"], r["overdue"],
          r["on_time_rate"]] for r in data["problem_ranking"]],
        formats={7: PERCENT_FORMAT}, widths=[8, 24, 10, 10, 10, 10, 12, 12],
    )
    overdue_sheet(workbook, data["overdue"])
    problem_sheet(workbook, "逾期未答复问题", data["overdue_replies"])
    problem_sheet(workbook, "超14天未办结问题", data["stale_problems"])
    add_table(
        workbook, "暂停项目", ["项目编号", "项目名称", "责任单位", "联系市领导", "暂停前状态", "暂停日期", "已暂停（天）", "暂停原因"],
        [[r["code"], r["name"], r["unit"], r["leader"], r["suspended_from"], r["suspended_on"], r["suspended_days"],
          r["reason"]] for r in data["suspended"]],
        widths=[12, 30, 18, 14, 12, 12, 12, 30],
    )
    factor_sheets(workbook, data["factors"])
    capacity_sheets(workbook, data["capacity"])
    return to_bytes(workbook)


def capacity_sheets(workbook, section: dict) -> None:
    """The bulletin's 达产 section: this week's 达产, the 标准地 projects not (yet) met, the ranking."""
    add_table(
        workbook, "本周达产", ["项目编号", "项目名称", "所在平台", "达产日期", "计划达产日期", "是否按期"],
        [[r["code"], r["name"], r["platform"], r["actual_date"], r["planned_date"], "按期" if r["on_time"] else "逾期达产"]
         for r in section["reached"]],
        widths=[12, 30, 16, 12, 14, 10],
    )
    compliance_sheets(workbook, {"projects": section["pending"], "ranking": section["ranking"]})


# --- a leader's contact projects -----------------------------------------------------------------------


def leader_report_xlsx(*, leader, as_of: datetime.date) -> bytes:
    data = selectors.leader_report_data(leader=leader, as_of=as_of)
    workbook = new_workbook()
    units = [p["amount_unit"] for p in data["projects"]]
    add_table(
        workbook, "联系项目",
        ["项目编号", "项目名称", "总投资（万）", "总投资（亿）", "责任单位", "状态", "亮灯", "最长逾期（天）", "签约日期",
         "下一节点", "计划日期"],
        [[p["code"], p["name"], *amount_columns(p["total_investment"]), p["unit"], p["status"],
          LIGHT_LABELS[p["light"]], p["max_overdue_days"], p["signing_date"], p["next_node"], p["next_planned"]]
         for p in data["projects"]],
        widths=[12, 30, 16, 14, 18, 10, 8, 14, 12, 10, 12],
        row_formats=amount_formats(units),
    )
    overdue_sheet(workbook, data["overdue"])
    add_table(
        workbook, "即将到期", ["项目编号", "项目名称", "节点", "计划日期", "剩余天数", "责任单位"],
        [[r["code"], r["name"], r["node"], r["planned_date"], r["days_left"], r["unit"]] for r in data["due_soon"]],
        widths=[12, 30, 8, 12, 10, 20],
    )
    problem_sheet(workbook, "待协调问题", data["problems"])
    return to_bytes(workbook)


# --- the 标准地 compliance report (sections 10 and 11) -------------------------------------------------


def compliance_sheets(workbook, report: dict) -> None:
    """The projects with each agreed indicator (约定 / 实际 / 达标 / 差距) and the 亩均 ranking."""
    headers = ["项目编号", "项目名称", "所在平台", "状态", "用地面积（亩）", "复核日期", "结论"]
    formats = {}
    for indicator in INDICATORS:
        start = len(headers)
        headers += [f"{indicator.label}·约定", f"{indicator.label}·实际", f"{indicator.label}·达标",
                    f"{indicator.label}·差距"]
        formats[start + 3] = PERCENT_FORMAT
    rows = []
    for r in report["projects"]:
        row = [r["project"], r["name"], r["platform"], r["status_label"], r["land_area"], as_date(r["reviewed_on"]),
               r["verdict"]]
        for indicator in INDICATORS:
            item = r["indicators"].get(indicator.key)
            if item is None:
                row += [None, None, None, None]
            else:
                met = {True: "是", False: "否", None: "未复核"}[item["met"]]
                row += [item["agreed"], item["actual"], met, item["shortfall"]]
        rows.append(row)
    add_table(workbook, "达产复核", headers, rows, formats=formats)
    add_table(
        workbook, "亩均排名",
        ["排名", "所在平台", "达产项目（个）", "用地面积（亩）", "年税收（万元）", "年产值（万元）", "亩均税收（万元/亩）",
         "亩均产值（万元/亩）", "产值排名"],
        [[r["rank"], r["platform"], r["projects"], r["land_area"], r["yearly_tax"], r["yearly_output"],
          r["tax_per_mu"], r["output_per_mu"], r["output_rank"]] for r in report["ranking"]],
        widths=[8, 24, 14, 14, 14, 14, 18, 18, 10],
    )


def compliance_xlsx(*, as_of: datetime.date) -> bytes:
    workbook = new_workbook()
    compliance_sheets(workbook, compliance_report(as_of=as_of))
    return to_bytes(workbook)


# --- 要素保障 (DOMAIN.md section 11) ---------------------------------------------------------------


def factor_sheets(workbook: Workbook, report: dict, *, prefix: str = "") -> None:
    add_table(workbook, f"{prefix}要素汇总", ["要素", "单位", "需求量", "已保障", "缺口", "保障率"],
              totals_rows(report["totals"]), widths=[10, 12, 16, 16, 16, 10],
              formats={2: AMOUNT_FORMAT, 3: AMOUNT_FORMAT, 4: AMOUNT_FORMAT, 5: PERCENT_FORMAT})
    for key, title, label in (("overdue", "逾期未保障", "逾期天数"), ("at_risk", "30天内需保障", "剩余天数")):
        add_table(
            workbook, f"{prefix}{title}",
            ["项目编号", "项目名称", "要素", "单位", "需求量", "已保障", "缺口", "需保障日期", label, "责任单位"],
            [[r["project"], r["name"], r["type_label"], r["measure"], r["needed"], r["secured"], r["gap"],
              datetime.date.fromisoformat(r["needed_by"]), r["days"] if key == "overdue" else -r["days"],
              r["responsible_unit"]] for r in report[key]],
            widths=[12, 30, 8, 10, 14, 14, 14, 12, 10, 18],
            formats={4: AMOUNT_FORMAT, 5: AMOUNT_FORMAT, 6: AMOUNT_FORMAT},
        )


def factors_xlsx(*, as_of: datetime.date) -> bytes:
    workbook = new_workbook()
    factor_sheets(workbook, report_factors(as_of=as_of))
    return to_bytes(workbook)
