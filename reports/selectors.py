"""The numbers behind every report. Page, API, PDF, Excel and commands all call these functions,
so they cannot disagree (STYLE.md: one rule, one place).

Query counts do not grow with the number of projects: the counted projects are fetched in one
query (a few fields, node actual dates joined per step) and tallied here.
"""

import calendar
import datetime
from decimal import Decimal

from django.db.models import BooleanField, ExpressionWrapper, F, FilteredRelation, Q

from milestones.models import NodeType
from projects.models import Channel, Cluster, Currency, Platform, Project, Source, Status

from .models import LEVELS, Level, PlatformTarget, Threshold, YearTarget

UNSET = "未填写"

# node_reached keys (DOMAIN.md section 9) in step order, with the node whose actual date marks them.
STEPS = [
    ("signed", NodeType.SIGN),
    ("land_acquired", NodeType.LAND),
    ("started", NodeType.START),
    ("in_statistics", NodeType.STATISTICS),
    ("in_production", NodeType.PRODUCTION),
]
STEP_LABELS = {"signed": "签约", "land_acquired": "供地", "started": "开工", "in_statistics": "入库",
               "in_production": "投产"}
LAND_STEP = 1  # index of land_acquired in STEPS
LATER_NODES = [node_type for _, node_type in STEPS[1:]]

PACE_LABELS = {"ahead": "快于序时进度", "behind": "慢于序时进度", "on_pace": "与序时进度持平"}


# --- the rules of DOMAIN.md section 5, one function each ---------------------------------------


def time_progress(*, year: int, as_of: datetime.date) -> float:
    """Section 5 (序时进度): days from 1 January to as_of inclusive ÷ days in the year (366 in a
    leap year); 1.0 once the year is over, 0.0 before it begins. Unrounded."""
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    if as_of > end:
        return 1.0
    if as_of < start:
        return 0.0
    return ((as_of - start).days + 1) / (366 if calendar.isleap(year) else 365)


def counting_window(*, year: int, as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """Section 5: signing dates that count for `year` as known on `as_of` — within the year and
    not after as_of (a later signing was not known then). After the year: all of it."""
    return datetime.date(year, 1, 1), min(datetime.date(year, 12, 31), as_of)


def load_thresholds() -> dict[str, dict[str, Decimal]]:
    """{level: {currency: minimum total investment in 万}} from the admin-editable data."""
    result = {level.value: {} for level in LEVELS}
    for threshold in Threshold.objects.all():
        result.setdefault(threshold.level, {})[threshold.currency] = threshold.min_amount
    return result


def level_q(level_thresholds: dict[str, Decimal]) -> Q:
    """Section 5: the investment test for one level — at least the threshold of the project's own
    currency, no exchange rate. A currency without a threshold never counts."""
    q = Q(pk__in=[])
    for currency, amount in level_thresholds.items():
        q |= Q(currency=currency, total_investment__gte=amount)
    return q


def counted_q(*, year: int, as_of: datetime.date, level_thresholds: dict[str, Decimal]) -> Q:
    """Section 5: a project counts for a level when its signing date falls in the year (up to
    as_of), it is manufacturing, its total investment reaches the level's threshold in its own
    currency, and it is not terminated."""
    start, end = counting_window(year=year, as_of=as_of)
    return (
        Q(signing_date__gte=start, signing_date__lte=end, is_manufacturing=True)
        & ~Q(status=Status.TERMINATED)
        & level_q(level_thresholds)
    )


def steps_reached(*, signing_date, actual_dates: dict, by: datetime.date) -> int:
    """Section 5/9 (node_reached): how many steps of STEPS a project had reached or passed by `by`,
    judged by the steps' actual dates. Reaching a later step implies the earlier ones, so a project
    that needs no new land (no land node) passes the land step when it starts."""
    reached = 1 if signing_date is not None and signing_date <= by else 0
    for index, node_type in enumerate(LATER_NODES, start=1):
        actual = actual_dates.get(node_type)
        if actual is not None and actual <= by:
            reached = index + 1
    return reached


def has_landed(*, signing_date, actual_dates: dict, by: datetime.date) -> bool:
    """Section 5 (落地): land acquired, or started where no new land is needed, by `by`."""
    return steps_reached(signing_date=signing_date, actual_dates=actual_dates, by=by) > LAND_STEP


def pace(*, count: int, target: int | None, year: int, as_of: datetime.date) -> dict:
    """Section 5: whether the count is ahead of or behind time progress (completion vs 序时进度)."""
    if not target:
        return {"status": None, "label": "未设目标", "expected": None, "gap": None}
    progress = time_progress(year=year, as_of=as_of)
    expected = target * progress
    completion = count / target
    status = "ahead" if completion > progress else "behind" if completion < progress else "on_pace"
    return {"status": status, "label": PACE_LABELS[status], "expected": round(expected, 2),
            "gap": round(count - expected, 2)}


def ratio(numerator: int, denominator: int | None) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def competition_rank(items: list[dict], key) -> None:
    """Sets item["rank"]: 1, 2, 2, 4 … by key descending; items whose key is None rank last."""
    ordered = sorted(items, key=lambda item: (key(item) is None, -(key(item) or 0)))
    previous, rank = object(), 0
    for position, item in enumerate(ordered, start=1):
        value = key(item)
        if value != previous:
            rank, previous = position, value
        item["rank"] = rank
    items.sort(key=lambda item: item["rank"])


# --- the 1330 report --------------------------------------------------------------------------


def months_until(*, year: int, as_of: datetime.date) -> list[str]:
    """"YYYY-MM" from January to the as-of month (all twelve once the year is over)."""
    if as_of < datetime.date(year, 1, 1):
        return []
    last = 12 if as_of.year > year else as_of.month
    return [f"{year}-{month:02d}" for month in range(1, last + 1)]


def counted_rows(*, year: int, as_of: datetime.date, thresholds: dict) -> list[dict]:
    """One query: every project counting for either level, with the few fields the report needs,
    flags saying which levels it counts for, and each step's actual date (one LEFT JOIN per node
    type on the (project, node_type) unique index, so no per-project query)."""
    q_levels = {level: counted_q(year=year, as_of=as_of, level_thresholds=thresholds.get(level, {}))
                for level in (Level.HUNDRED_MILLION, Level.BILLION)}
    node_joins = {
        f"node_{node_type}": FilteredRelation("nodes", condition=Q(nodes__node_type=node_type))
        for node_type in LATER_NODES
    }
    queryset = (
        Project.objects.annotate(**node_joins)
        .filter(q_levels[Level.HUNDRED_MILLION] | q_levels[Level.BILLION])
        .annotate(
            is_100m=ExpressionWrapper(q_levels[Level.HUNDRED_MILLION], output_field=BooleanField()),
            is_1b=ExpressionWrapper(q_levels[Level.BILLION], output_field=BooleanField()),
            platform_name=F("platform__name"),
            unit_name=F("responsible_unit__name"),
            leader_name=F("contact_leader__name"),
            **{f"actual_{node_type}": F(f"node_{node_type}__actual_date") for node_type in LATER_NODES},
        )
        .order_by("code")
        .values(
            "code", "name", "total_investment", "currency", "signing_date", "cluster", "source", "channel",
            "platform_id", "platform_name", "unit_name", "leader_name", "needs_new_land", "status",
            "is_100m", "is_1b", *[f"actual_{node_type}" for node_type in LATER_NODES],
        )
    )
    rows = list(queryset)
    for row in rows:
        row["actual_dates"] = {node_type: row.pop(f"actual_{node_type}") for node_type in LATER_NODES}
        # SQLite returns 0/1 for the boolean expressions.
        row["is_100m"], row["is_1b"] = bool(row["is_100m"]), bool(row["is_1b"])
    return rows


def tally(rows: list[dict], field: str, keys: list[str]) -> dict[str, int]:
    """Counts by a field's value: every key of `keys` (zeros included), plus 未填写 when some rows
    have no value, plus any value not in `keys` (kept rather than hidden)."""
    result = dict.fromkeys(keys, 0)
    for row in rows:
        value = row[field] or UNSET
        result[value] = result.get(value, 0) + 1
    return result


def level_figures(rows: list[dict], *, year: int, as_of: datetime.date, months: list[str]) -> dict:
    """The breakdowns of one level's counted projects."""
    by_month = dict.fromkeys(months, 0)
    node_reached = {key: 0 for key, _ in STEPS}
    for row in rows:
        month = row["signing_date"].strftime("%Y-%m")
        if month in by_month:
            by_month[month] += 1
        reached = steps_reached(signing_date=row["signing_date"], actual_dates=row["actual_dates"], by=as_of)
        for key, _ in STEPS[:reached]:
            node_reached[key] += 1
    cumulative, running = {}, 0
    for month, count in by_month.items():
        running += count
        cumulative[month] = running
    return {
        "by_month": by_month,
        "cumulative_by_month": cumulative,
        "by_cluster": tally(rows, "cluster", list(Cluster.values)),
        "by_source": tally(rows, "source", list(Source.values)),
        "by_channel": tally(rows, "channel", list(Channel.values)),
        "node_reached": node_reached,
    }


def landing_rates(rows: list[dict], *, year: int, as_of: datetime.date) -> dict:
    """Section 5 (落地率): of the counted ≥1亿 projects signed in the year, the share landed by
    31 December of the year (当年) and of the next year (两年); null until that date has passed."""
    result = {}
    for key, label, deadline in (
        ("current_year", "当年落地率", datetime.date(year, 12, 31)),
        ("two_year", "两年落地率", datetime.date(year + 1, 12, 31)),
    ):
        entry = {"label": label, "deadline": deadline.isoformat(), "rate": None, "landed": None,
                 "counted": None, "projects": None}
        if as_of > deadline:
            landed = [row["code"] for row in rows
                      if has_landed(signing_date=row["signing_date"], actual_dates=row["actual_dates"], by=deadline)]
            entry.update(rate=ratio(len(landed), len(rows)), landed=len(landed), counted=len(rows),
                         projects=landed)
        result[key] = entry
    return result


def task_split(rows_by_level: dict, *, year: int, platform_targets) -> list[dict]:
    """Section 5 (任务分解): each platform with a target share — its counts, completion and rank
    (by ≥1亿 completion; equal completions share a rank, platforms without a ≥1亿 share rank last)."""
    counts = {level: {} for level in rows_by_level}
    for level, rows in rows_by_level.items():
        for row in rows:
            counts[level][row["platform_id"]] = counts[level].get(row["platform_id"], 0) + 1
    items = []
    for target in platform_targets:
        targets = {"100m": target.target_100m, "1b": target.target_1b}
        item_counts = {level: counts[level].get(target.platform_id, 0) for level in rows_by_level}
        items.append({
            "platform": target.platform.name,
            "targets": targets,
            "counts": item_counts,
            "completion": {level: ratio(item_counts[level], targets[level]) for level in rows_by_level},
        })
    competition_rank(items, key=lambda item: item["completion"]["100m"])
    return items


def progress_1330(*, year: int, as_of: datetime.date) -> dict:
    """The 1330 report (DOMAIN.md sections 5 and 9) for `year` as known on `as_of`.

    The keys of section 9 exactly, plus: pace (ahead/behind), cumulative_by_month, by_channel,
    by_platform, landing_rate, task_split, levels["1b"] (the 10亿 breakdowns), thresholds, and
    rows (the projects behind the numbers, for the PDF and Excel tables).
    """
    thresholds = load_thresholds()
    target = YearTarget.objects.filter(year=year).first()
    targets = {"100m": target.target_100m if target else None, "1b": target.target_1b if target else None}
    rows = counted_rows(year=year, as_of=as_of, thresholds=thresholds)
    by_level = {"100m": [r for r in rows if r["is_100m"]], "1b": [r for r in rows if r["is_1b"]]}
    counts = {level: len(level_rows) for level, level_rows in by_level.items()}
    months = months_until(year=year, as_of=as_of)
    figures = {level: level_figures(level_rows, year=year, as_of=as_of, months=months)
               for level, level_rows in by_level.items()}
    main = figures["100m"]
    platforms = list(Platform.objects.order_by("name").values_list("name", flat=True))
    platform_targets = PlatformTarget.objects.filter(year=year).select_related("platform")
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "time_progress": round(time_progress(year=year, as_of=as_of), 4),
        "targets": targets,
        "counts": counts,
        "completion": {level: ratio(counts[level], targets[level]) for level in counts},
        "projects": {level: [r["code"] for r in level_rows] for level, level_rows in by_level.items()},
        "by_month": main["by_month"],
        "by_cluster": main["by_cluster"],
        "by_source": main["by_source"],
        "node_reached": main["node_reached"],
        # --- beyond the contract of section 9 ---
        "pace": {level: pace(count=counts[level], target=targets[level], year=year, as_of=as_of)
                 for level in counts},
        "cumulative_by_month": main["cumulative_by_month"],
        "by_channel": main["by_channel"],
        "by_platform": tally(by_level["100m"], "platform_name", platforms),
        "landing_rate": landing_rates(by_level["100m"], year=year, as_of=as_of),
        "task_split": task_split(by_level, year=year, platform_targets=platform_targets),
        "levels": {"1b": {**figures["1b"], "by_platform": tally(by_level["1b"], "platform_name", [])}},
        "thresholds": {level: {currency: float(amount) for currency, amount in values.items()}
                       for level, values in thresholds.items()},
        "rows": [public_row(row, as_of=as_of) for row in rows],
    }


def public_row(row: dict, *, as_of: datetime.date) -> dict:
    """A counted project as plain JSON-able data."""
    reached = steps_reached(signing_date=row["signing_date"], actual_dates=row["actual_dates"], by=as_of)
    return {
        "code": row["code"],
        "name": row["name"],
        "total_investment": float(row["total_investment"]),
        "currency": row["currency"],
        "amount_unit": "万美元" if row["currency"] == Currency.USD else "万元",
        "signing_date": row["signing_date"].isoformat(),
        "cluster": row["cluster"] or UNSET,
        "source": row["source"] or UNSET,
        "channel": row["channel"] or UNSET,
        "platform": row["platform_name"] or UNSET,
        "responsible_unit": row["unit_name"],
        "contact_leader": row["leader_name"],
        "status": row["status"],
        "status_label": Status(row["status"]).label,
        "needs_new_land": row["needs_new_land"],
        "levels": [level for level in ("100m", "1b") if row[f"is_{level}"]],
        "actual_dates": {node_type: (value.isoformat() if value else None)
                         for node_type, value in row["actual_dates"].items()},
        "furthest_step": STEPS[reached - 1][0] if reached else None,
    }
