"""Bring rows stored before issue 8 within the rules the next migration enforces as constraints
(docs/DOMAIN.md section 12), so that adding them cannot fail on an existing database.

Nothing is silently invented: a value that cannot be kept is cleared (or, for a required date, moved
to the nearest allowed day) and the project's 备注 says what it was, for the center to check.
The rules are copied here as they were when written, as a migration must not follow later code.
"""

import datetime
import re
from decimal import Decimal

from django.db import migrations

DATE_MIN, DATE_MAX = datetime.date(1990, 1, 1), datetime.date(2100, 12, 31)
AMOUNT_MAX, LAND_AREA_MAX, TEXT_MAX = Decimal("100000000"), Decimal("1000000"), 2000
CODE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
CONTROL_BUT_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CURRENCIES = {"CNY", "USD"}
CLUSTERS = {"新能源汽车及零部件", "智能家居", "高端装备", "现代纺织", "高端新材料", "生物医药与健康", "空天信息", "合成生物",
            "未来医疗", "氢能与新型储能", "其他"}
SOURCES, CHANNELS = {"外引", "内生"}, {"亲情招商", "基金招商", "产业链招商", "以商引商", "其他"}
STATUSES = {"negotiating", "signed", "land_acquired", "started", "in_statistics", "in_production", "suspended",
            "terminated"}
CATEGORIES, PROBLEM_STATUSES = {"land", "energy", "funding", "approval", "other"}, {"open", "replied", "resolved"}


def _line(text, limit):
    return CONTROL.sub(" ", text)[:limit]


def _text(text):
    return CONTROL_BUT_LINES.sub(" ", text)[:TEXT_MAX]


def _in_window(day):
    return day is None or DATE_MIN <= day <= DATE_MAX


def _clamp(day):
    return min(max(day, DATE_MIN), DATE_MAX)


def _unique_names(model, field="name"):
    taken = set(model.objects.values_list(field, flat=True))
    for row in model.objects.all():
        value = getattr(row, field)
        fixed = _line(value, 64)
        if fixed != value:
            if fixed in taken:
                fixed = f"{fixed[:56]}-{row.pk}"
            setattr(row, field, fixed)
            row.save(update_fields=[field])
            taken.add(fixed)


def repair(apps, schema_editor):
    Project = apps.get_model("projects", "Project")
    Problem = apps.get_model("projects", "Problem")
    for name in ("Unit", "Leader", "Platform"):
        _unique_names(apps.get_model("projects", name))
    codes = set(Project.objects.values_list("code", flat=True))
    for project in Project.objects.iterator():
        notes, before = [], {f.attname: getattr(project, f.attname) for f in project._meta.concrete_fields}
        if not CODE.match(project.code):
            code = re.sub(r"[^A-Za-z0-9_-]", "-", project.code)[:32] or f"P{project.pk}"
            if code in codes:
                code = f"{code[:24]}-{project.pk}"
            notes.append(f"原项目编号「{_line(project.code, 64)}」含不允许的字符，已改为 {code}")
            codes.add(code)
            project.code = code
        project.name, project.investor = _line(project.name, 200), _line(project.investor, 200)
        project.stats_code = _line(project.stats_code, 64)
        project.status_reason = _text(project.status_reason)
        for field, allowed, fallback in (("currency", CURRENCIES, "CNY"), ("cluster", CLUSTERS, ""),
                                         ("source", SOURCES, ""), ("channel", CHANNELS, ""),
                                         ("suspended_from", STATUSES, "")):
            value = getattr(project, field)
            if value and value not in allowed:
                notes.append(f"原{field}「{_line(value, 32)}」不是可选值，已改为「{fallback or '空'}」")
                setattr(project, field, fallback)
        if project.total_investment is not None and project.total_investment > AMOUNT_MAX:
            notes.append(f"原总投资 {project.total_investment} 万超出范围，已清空")
            project.total_investment = None
        if project.land_area is not None and not 0 <= project.land_area <= LAND_AREA_MAX:
            notes.append(f"原用地面积 {project.land_area} 亩超出范围，已清空")
            project.land_area = None
        for field in ("signing_date", "suspended_on", "last_event_date"):
            if not _in_window(getattr(project, field)):
                notes.append(f"原{field} {getattr(project, field)} 超出 1990—2100 年，已清空")
                setattr(project, field, None)
        if notes:
            project.remark = "；".join([project.remark, *notes]) if project.remark else "；".join(notes)
        project.remark = _text(project.remark)
        changed = [f.attname for f in project._meta.concrete_fields if getattr(project, f.attname) != before[f.attname]]
        if changed:
            print(f"\n  repaired project {project.pk}: {', '.join(changed)}")
            project.save(update_fields=changed)
    for problem in Problem.objects.iterator():
        before = (problem.category, problem.status, problem.raised_on, problem.reply_by, problem.replied_on,
                  problem.resolved_on, problem.description, problem.resolution)
        if problem.category not in CATEGORIES:
            problem.category = "other"
        if problem.status not in PROBLEM_STATUSES:
            problem.status = "open"
        problem.raised_on, problem.reply_by = _clamp(problem.raised_on), _clamp(problem.reply_by)
        problem.replied_on = problem.replied_on and _clamp(problem.replied_on)
        problem.resolved_on = problem.resolved_on and _clamp(problem.resolved_on)
        problem.description, problem.resolution = _text(problem.description), _text(problem.resolution)
        if before != (problem.category, problem.status, problem.raised_on, problem.reply_by, problem.replied_on,
                      problem.resolved_on, problem.description, problem.resolution):
            print(f"\n  repaired problem {problem.pk}")
            problem.save()


class Migration(migrations.Migration):
    dependencies = [("projects", "0005_group_robots")]

    operations = [migrations.RunPython(repair, migrations.RunPython.noop)]
