"""The weekly bulletin (周通报) as a PDF: the investment center's weekly alert attaches it."""

import datetime

from reportlab.platypus import Spacer

from . import selectors
from .factors import factor_section
from .pdf import (
    LIGHT_COLORS,
    compliance_tables,
    ranking_table,
    cn_date,
    data_table,
    heading,
    overdue_table,
    paragraph,
    pct,
    problem_table,
    render,
    short_date,
    bulletin_header,
)


def bulletin_story(data: dict) -> list:
    as_of, week = data["as_of"], data["week"]
    lights = data["lights"]
    story = bulletin_header(
        title="嵊州市重大项目推进情况通报",
        issue=f"{data['issue_year']}年第{data['issue']}期",
        date=as_of,
    )
    signings_100m = sum(1 for item in data["new_signings"] if item["is_100m"])
    story.append(paragraph(
        f"本期统计时段为{cn_date(week['start'])}至{cn_date(week['end'])}。本周新签约项目"
        f"<b>{len(data['new_signings'])}</b>个（其中亿元以上制造业项目{signings_100m}个），完成关键节点"
        f"<b>{len(data['node_completions'])}</b>个。截至{cn_date(as_of)}，在建推进项目红灯<b>{lights['red']}</b>个、"
        f"黄灯<b>{lights['yellow']}</b>个、绿灯<b>{lights['green']}</b>个；逾期节点<b>{len(data['overdue'])}</b>个，"
        f"逾期未答复问题{len(data['overdue_replies'])}个，提出超过14天未办结问题{len(data['stale_problems'])}个，"
        f"暂停项目{len(data['suspended'])}个。"
    ))
    story += heading("一、本周新签约项目")
    story.append(data_table(
        ["序号", "项目编号", "项目名称", "总投资", "产业集群", "所在平台", "责任单位", "签约日期", "亿元以上制造业"],
        [[i, r["code"], r["name"], r["investment"], r["cluster"], r["platform"], r["unit"],
          short_date(r["signing_date"]), ("10亿以上" if r["is_1b"] else "是") if r["is_100m"] else "否"]
         for i, r in enumerate(data["new_signings"], start=1)],
        [0.06, 0.1, 0.2, 0.11, 0.11, 0.1, 0.12, 0.1, 0.1], wrap=(2, 4, 5, 6), nowrap=(1,),
    ))
    story += heading("二、本周完成关键节点")
    story.append(data_table(
        ["序号", "项目编号", "项目名称", "节点", "完成日期", "计划日期", "是否按期", "责任单位"],
        [[i, r["code"], r["name"], r["node"], short_date(r["actual_date"]), short_date(r["planned_date"]),
          "按期" if r["on_time"] else "逾期完成", r["unit"]]
         for i, r in enumerate(data["node_completions"], start=1)],
        [0.06, 0.11, 0.25, 0.07, 0.11, 0.11, 0.1, 0.19], wrap=(2, 7), nowrap=(1,),
    ))
    story += heading("三、各责任单位项目亮灯情况（晾晒）")
    unit_rows = data["lights_by_unit"]
    story.append(data_table(
        ["排名", "责任单位", "红灯", "黄灯", "绿灯", "项目合计", "绿灯率", "逾期节点"],
        [[r["rank"], r["unit"], r["red"], r["yellow"], r["green"], r["total"], pct(r["green_rate"]),
          r["overdue_nodes"]] for r in unit_rows],
        [0.07, 0.29, 0.09, 0.09, 0.09, 0.11, 0.12, 0.14], wrap=(1,),
        cell_colors={**{(i, 2): LIGHT_COLORS["red"] for i, r in enumerate(unit_rows) if r["red"]},
                     **{(i, 3): LIGHT_COLORS["yellow"] for i, r in enumerate(unit_rows) if r["yellow"]}},
    ))
    story.append(paragraph("注：按红灯、黄灯、逾期节点数由多到少排序；亮灯按项目责任单位统计，逾期节点按节点责任单位统计。",
                           "note"))
    story += heading("四、问题按时答复情况排名")
    story.append(data_table(
        ["排名", "交办单位", "交办问题", "应答复", "按时答复", "超期答复", "逾期未答复", "按时答复率"],
        [[r["rank"], r["unit"], r["assigned"], r["due"], r["on_time"], r["late"] - r["overdue"], r["overdue"],
          pct(r["on_time_rate"])] for r in data["problem_ranking"]],
        [0.07, 0.27, 0.1, 0.1, 0.11, 0.11, 0.12, 0.12], wrap=(1,),
    ))
    story.append(paragraph(f"注：统计{as_of.year}年以来交办的问题；答复期限已到或已答复的为应答复问题。", "note"))
    story += heading("五、逾期节点清单")
    story.append(overdue_table(data["overdue"]))
    story += heading("六、逾期未答复问题")
    story.append(problem_table(data["overdue_replies"]))
    story += heading("七、提出超过14天未办结的问题")
    story.append(problem_table(data["stale_problems"]))
    story += heading("八、暂停项目")
    story.append(data_table(
        ["序号", "项目编号", "项目名称", "责任单位", "联系市领导", "暂停日期", "暂停天数", "暂停原因"],
        [[i, r["code"], r["name"], r["unit"], r["leader"] or "—", short_date(r["suspended_on"]),
          r["suspended_days"] if r["suspended_days"] is not None else "—", r["reason"]]
         for i, r in enumerate(data["suspended"], start=1)],
        [0.06, 0.1, 0.2, 0.14, 0.11, 0.11, 0.1, 0.18], wrap=(2, 3, 4, 7), nowrap=(1,),
    ))
    story += factor_bulletin_section(data["factors"], number="九")
    story += capacity_story(data["capacity"], as_of=as_of, number="十")
    story.append(Spacer(1, 8))
    return story


def capacity_story(section: dict, *, as_of, number: str) -> list:
    """达产与亩均 (section 10): this week's 达产, the 标准地 projects not (yet) meeting their
    agreement, and the 亩均 ranking by platform."""
    summary = section["summary"]
    story = heading(f"{number}、项目达产与标准地复核（亩均论英雄）")
    story.append(paragraph(
        f"本周达产项目<b>{len(section['reached'])}</b>个。截至{cn_date(as_of)}，已投产标准地项目复核达标"
        f"<b>{summary['met']}</b>个、未达标<b>{summary['not_met']}</b>个、尚未复核<b>{summary['unreviewed']}</b>个。"
    ))
    story.append(paragraph("（一）本周达产项目", "body"))
    story.append(data_table(
        ["序号", "项目编号", "项目名称", "所在平台", "达产日期", "计划达产日期", "是否按期"],
        [[i, r["code"], r["name"], r["platform"], short_date(r["actual_date"]), short_date(r["planned_date"]),
          "按期" if r["on_time"] else "逾期达产"] for i, r in enumerate(section["reached"], start=1)],
        [0.07, 0.12, 0.3, 0.15, 0.12, 0.13, 0.11], wrap=(2, 3), nowrap=(1,),
    ))
    story.append(paragraph("（二）标准地复核未达标、尚未复核的项目", "body"))
    story += compliance_tables({"projects": section["pending"]})
    story.append(paragraph("（三）亩均效益分平台排名", "body"))
    story.append(ranking_table(section["ranking"]))
    return story


def factor_bulletin_section(report: dict, *, number: str) -> list:
    """Section 11 in the bulletin: totals per type, then the 逾期未保障 and 预警 needs."""
    story = heading(f"{number}、要素保障情况")
    story += factor_section(report, numbered=("（一）", "（二）", "（三）"), separator="")
    return story


def bulletin_pdf(*, as_of: datetime.date) -> bytes:
    """The weekly bulletin for the week ending `as_of` as an A4 PDF."""
    data = selectors.bulletin_data(as_of=as_of)
    return render(bulletin_story(data), title=f"嵊州市重大项目推进情况通报 {data['issue_year']}年第{data['issue']}期")
