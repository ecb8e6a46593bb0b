"""The 要素保障 report (DOMAIN.md section 11) as PDF, from milestones.factor_selectors.report_factors, so the
command, the page and the files cannot disagree (the Excel workbook is in reports/xlsx.py). The bulletin
reuses `factor_section`."""

import datetime

from milestones.factor_selectors import report_factors
from milestones.models import FACTOR_ORDER, FACTOR_UNITS, FactorType

from .pdf import cn_date, data_table, heading, paragraph, pct, render, short_date, bulletin_header


def amount(value) -> str:
    """An amount as the tables print it: thousands separators, no trailing zeros."""
    if value is None:
        return "—"
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return text


def secured_rate(figures: dict) -> float | None:
    return figures["secured"] / figures["needed"] if figures["needed"] else None


def totals_rows(totals: dict) -> list[list]:
    return [[FactorType(t).label, FACTOR_UNITS[t], totals[t]["needed"], totals[t]["secured"], totals[t]["gap"],
             secured_rate(totals[t])] for t in FACTOR_ORDER]


def summary_sentence(report: dict) -> str:
    totals = report["totals"]
    parts = "；".join(
        f"{FactorType(t).label}需求{amount(totals[t]['needed'])}{FACTOR_UNITS[t]}、已保障{amount(totals[t]['secured'])}"
        f"{FACTOR_UNITS[t]}、缺口{amount(totals[t]['gap'])}{FACTOR_UNITS[t]}" for t in FACTOR_ORDER
    )
    return (f"截至{cn_date(report['as_of'])}，在建推进项目{parts}。逾期未保障<b>{len(report['overdue'])}</b>项，"
            f"30天内需保障（预警）<b>{len(report['at_risk'])}</b>项。")


def need_table(items: list[dict], *, overdue: bool):
    return data_table(
        ["序号", "项目编号", "项目名称", "要素", "需求量", "已保障", "缺口", "需保障日期", "逾期天数" if overdue else "剩余天数",
         "责任单位"],
        [[i, r["project"], r["name"], r["type_label"], f"{amount(r['needed'])}{r['measure']}", amount(r["secured"]),
          amount(r["gap"]), short_date(r["needed_by"]), r["days"] if overdue else -r["days"], r["responsible_unit"] or "—"]
         for i, r in enumerate(items, start=1)],
        [0.05, 0.1, 0.17, 0.06, 0.155, 0.08, 0.08, 0.105, 0.085, 0.115], wrap=(2, 4, 9), nowrap=(1,),
    )


def factor_section(report: dict, *, numbered: tuple[str, str, str] = ("一", "二", "三"), separator: str = "、") -> list:
    """The 要素保障 section: totals per type, then the overdue and at-risk needs. The bulletin reuses it."""
    story = [paragraph(summary_sentence(report))]
    story += heading(f"{numbered[0]}{separator}要素保障总体情况")
    story.append(data_table(
        ["要素", "单位", "需求量", "已保障", "缺口", "保障率"],
        [[label, unit, amount(needed), amount(secured), amount(gap), pct(rate)]
         for label, unit, needed, secured, gap, rate in totals_rows(report["totals"])],
        [0.14, 0.14, 0.18, 0.18, 0.18, 0.18],
    ))
    story.append(paragraph("注：统计已签约至已入库的在建推进项目；缺口为各项需求未保障部分之和（超额保障不抵减其他项目缺口）。",
                           "note"))
    story += heading(f"{numbered[1]}{separator}逾期未保障")
    story.append(need_table(report["overdue"], overdue=True))
    story += heading(f"{numbered[2]}{separator}30天内需保障（预警）")
    story.append(need_table(report["at_risk"], overdue=False))
    return story


def factors_pdf(*, as_of: datetime.date) -> bytes:
    report = report_factors(as_of=as_of)
    story = bulletin_header(title="嵊州市重大项目要素保障情况", issue=f"截至{cn_date(as_of)}", date=as_of)
    story += factor_section(report)
    return render(story, title="嵊州市重大项目要素保障情况")
