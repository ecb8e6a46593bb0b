"""The numbers behind every report. Page, API, PDF, Excel and commands all call these functions,
so they cannot disagree (STYLE.md: one rule, one place).

Query counts do not grow with the number of projects: the counted projects are fetched in one
query (a few fields, and the actual dates of their later steps read by a correlated subquery)
and tallied here.
"""

import calendar
import datetime
import json
import math
from collections import Counter
from decimal import Decimal
from operator import itemgetter

from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    Count,
    ExpressionWrapper,
    F,
    Field,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractMonth

from milestones.factor_selectors import report_factors
from milestones.models import NODE_ORDER, Node, NodeType
from milestones.selectors import (
    IntFromDatabase,
    annotate_light,
    due_soon_nodes,
    light_counts,
    light_counts_by_unit,
    overdue_nodes,
    suspended_projects,
)
from projects.bulk import cycle_collector_paused
from projects.levels import LEVELS, level_q, load_thresholds
from projects.models import (
    AMOUNT_UNIT_LABEL,
    LIGHT_STATUSES,
    Channel,
    Cluster,
    Platform,
    Problem,
    ProblemCategory,
    ProblemStatus,
    Project,
    Source,
    Status,
    problem_reply_overdue_q,
    problem_stale_q,
)

from .models import PlatformTarget, YearTarget

UNSET = "未填写"

# node_reached keys (DOMAIN.md section 9) in step order, with the node whose actual date marks them.
STEPS = [
    ("signed", NodeType.SIGN),
    ("land_acquired", NodeType.LAND),
    ("started", NodeType.START),
    ("in_statistics", NodeType.STATISTICS),
    ("in_production", NodeType.PRODUCTION),
    ("at_capacity", NodeType.CAPACITY),
]
STEP_LABELS = {key: NodeType(node_type).label for key, node_type in STEPS}
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


def qualifying_base_q() -> Q:
    """Section 5's tests apart from the year and the investment: manufacturing, not terminated."""
    return Q(is_manufacturing=True) & ~Q(status=Status.TERMINATED)


def qualifies_q(level_thresholds: dict[str, Decimal]) -> Q:
    """Section 5 apart from the year: manufacturing, its total investment reaching the level's
    threshold in its own currency, and not terminated."""
    return qualifying_base_q() & level_q(level_thresholds)


def counted_q(*, year: int, as_of: datetime.date, level_thresholds: dict[str, Decimal]) -> Q:
    """Section 5: a project counts for a level when its signing date falls in the year (up to
    as_of) and it qualifies (qualifies_q)."""
    start, end = counting_window(year=year, as_of=as_of)
    return Q(signing_date__gte=start, signing_date__lte=end) & qualifies_q(level_thresholds)


def counted_levels_q(*, year: int, as_of: datetime.date, thresholds: dict) -> tuple[Q, dict[str, Q]]:
    """counted_q of both levels in two parts: what they share (the year up to as_of, manufacturing,
    not terminated) and each level's investment test (level_q). A project counts for a level when
    it passes both, so a query over the shared part tells the levels apart by their tests alone:
    the whole test repeated per level and per figure was most of the SQL Django built for the 1330
    queries, and the database evaluated every copy."""
    start, end = counting_window(year=year, as_of=as_of)
    shared = Q(signing_date__gte=start, signing_date__lte=end) & qualifying_base_q()
    return shared, {level.value: level_q(thresholds.get(level, {})) for level in LEVELS}


EXPECTED_RULE = "序时应完成 = 年度目标 × 时间进度，向上取整"


def pace(*, count: int, target: int | None, year: int, as_of: datetime.date) -> dict:
    """Section 5: whether the count is ahead of or behind time progress (completion vs 序时进度).

    `expected` (序时应完成) is a whole number of projects: target × time progress rounded up, the
    fewest projects with which the count is not behind time progress (issue 9: "36.16 个" read as
    a slip)."""
    if not target:
        return {"status": None, "label": "未设目标", "expected": None, "gap": None}
    progress = time_progress(year=year, as_of=as_of)
    expected = math.ceil(round(target * progress, 9))
    completion = count / target
    status = "ahead" if completion > progress else "behind" if completion < progress else "on_pace"
    return {"status": status, "label": PACE_LABELS[status], "expected": expected, "gap": count - expected}


def ratio(numerator: int, denominator: int | None) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


def highest_first(value) -> tuple:
    """Sort key: larger values first, None last."""
    return (value is None, -(value or 0))


def competition_rank(items: list[dict], key) -> None:
    """Sets item["rank"] on items already in ranking order: 1, 2, 2, 4 … (equal keys share a rank)."""
    previous, rank = object(), 0
    for position, item in enumerate(items, start=1):
        value = key(item)
        if value != previous:
            rank, previous = position, value
        item["rank"] = rank


# --- the 1330 report --------------------------------------------------------------------------


def months_until(*, year: int, as_of: datetime.date) -> list[str]:
    """"YYYY-MM" from January to the as-of month (all twelve once the year is over)."""
    if as_of < datetime.date(year, 1, 1):
        return []
    last = 12 if as_of.year > year else as_of.month
    return [f"{year}-{month:02d}" for month in range(1, last + 1)]


class _NodeDates(Aggregate):
    """The aggregated nodes' types and actual dates as one text, "land2026-03-01,start2026-05-02"
    (section 9's node keys, ISO dates): string_agg on PostgreSQL (to_char, whatever the server's
    DateStyle), group_concat on SQLite, which stores a date as that text already."""

    output_field = TextField()

    def __init__(self):
        super().__init__(F("node_type"), F("actual_date"))

    def as_sql(self, compiler, connection, **extra_context):
        (node_type, type_params), (actual, actual_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"STRING_AGG({node_type} || TO_CHAR({actual}, 'YYYY-MM-DD'), ',')", (*type_params, *actual_params)

    def as_sqlite(self, compiler, connection, **extra_context):
        (node_type, type_params), (actual, actual_params) = (compiler.compile(e) for e in self.source_expressions)
        return f"GROUP_CONCAT({node_type} || {actual}, ',')", (*type_params, *actual_params)


def later_actual_dates() -> Subquery:
    """A project's done later steps (LATER_NODES with an actual date) as _NodeDates' text, or NULL:
    a correlated subquery on the node table's project index.

    Measured on PostgreSQL with 100,000 projects (issue 12): a second query for the counted projects'
    nodes made the planner hash the whole node table (480,000 rows) for 10,000 of them; one LEFT JOIN
    per node type hashed it four times (≈250 ms). Reading each project's few nodes by its index, in
    the projects' query, took about half the two queries' time (8,283 projects: 60–100 ms against
    170–270 ms on the shared 2-core machine). PostgreSQL's JIT, which once compiled such subqueries
    for ≈1.6 s, is off (config/settings.py)."""
    done = (
        Node.objects.filter(project=OuterRef("pk"), node_type__in=LATER_NODES, actual_date__isnull=False)
        .order_by()
        .values("project")
        .annotate(dates=_NodeDates())
        .values("dates")
    )
    return Subquery(done, output_field=TextField())


def reach_days(*, year: int, as_of: datetime.date) -> tuple[datetime.date, ...]:
    """The days the 1330 figures ask how far each counted project had got by, in this order: the
    as-of date (node_reached, a row's furthest_step) and the two landing deadlines (landing_rates)."""
    return as_of, datetime.date(year, 12, 31), datetime.date(year + 1, 12, 31)


BY_AS_OF, BY_END_OF_YEAR, BY_END_OF_NEXT_YEAR = range(3)  # positions in reach_days


class _PackedSteps(IntFromDatabase, Coalesce):
    """later_steps_reached's integer, or 0 for a project with no later step done."""


def later_steps_reached(days: tuple[datetime.date, ...]) -> Coalesce:
    """Section 5/9 (node_reached): how many steps of STEPS a project had reached or passed by each of
    `days`, judged by the steps' actual dates — here the later steps' part, worked out by the
    database: the highest step (2 land … 6 at_capacity) whose node's actual date falls on or before
    the day, 0 for none (the signing, step 1, is steps_on's). Reaching a later step implies the
    earlier ones, so a project that needs no new land (no land node) passes the land step when it
    starts. One correlated subquery returns them all as the decimal digits of one integer, the
    first day's first (steps_on reads them): the figures then need neither the dates as text nor a
    date object per node (issue 12: parsing and walking them for 8,283 projects was a third of the
    1330 JSON's time)."""
    step = Case(*[When(node_type=node_type, then=Value(index)) for index, node_type in enumerate(LATER_NODES, start=2)],
                output_field=IntegerField())
    packed = sum(Coalesce(Max(step, filter=Q(actual_date__lte=day)), 0) * 10 ** (len(days) - 1 - position)
                 for position, day in enumerate(days))
    done = (
        Node.objects.filter(project=OuterRef("pk"), node_type__in=LATER_NODES, actual_date__isnull=False)
        .order_by()
        .values("project")
        .annotate(reached=packed)
        .values("reached")
    )
    return _PackedSteps(Subquery(done, output_field=IntegerField()), 0)


def steps_on(packed: int, position: int) -> int:
    """The steps a counted project had reached by the day at `position` of reach_days, from its
    row's `reached` (later_steps_reached): a counted project was signed by each of the days (its
    signing date lies in the counting window, which ends at the as-of date and at 31 December),
    so one step at least."""
    return max(packed // 10 ** (BY_END_OF_NEXT_YEAR - position) % 10, 1)


def parse_actual_dates(text: str | None) -> dict:
    """later_actual_dates' text as {node_type: date} for every one of LATER_NODES (None when not done)."""
    dates = dict.fromkeys(LATER_NODES)
    if text:
        for item in text.split(","):
            dates[item[:-10]] = datetime.date.fromisoformat(item[-10:])
    return dates


# What a counted project's row holds: the figures need the first group, the rows (public_row) all.
FIGURE_FIELDS = ("code", "signing_date", "cluster", "source", "channel", "platform_id", "platform_name")
ROW_FIELDS = (*FIGURE_FIELDS, "name", "total_investment", "currency", "unit_name", "leader_name", "needs_new_land",
              "status")


def counted_rows(*, year: int, as_of: datetime.date, thresholds: dict, details: bool = True) -> list[dict]:
    """One query: every project counting for either level, flags saying which levels it counts for,
    how far it had got by each of reach_days (`reached`: the steps reached by the as-of date and by
    the two landing deadlines, later_steps_reached), and the fields the figures need — with
    `details`, also those public_row prints, the actual dates of its later steps (`actual_dates`,
    later_actual_dates) among them. Ordered by code."""
    shared, tests = counted_levels_q(year=year, as_of=as_of, thresholds=thresholds)
    days = reach_days(year=year, as_of=as_of)
    extra = {"platform_name": F("platform__name")}
    if details:
        extra.update(unit_name=F("responsible_unit__name"), leader_name=F("contact_leader__name"),
                     later_dates=later_actual_dates())
    fields = (*ROW_FIELDS, "later_dates") if details else FIGURE_FIELDS
    found = (
        Project.objects.filter(shared & (tests["100m"] | tests["1b"]))
        .annotate(
            is_100m=ExpressionWrapper(tests["100m"], output_field=BooleanField()),
            is_1b=ExpressionWrapper(tests["1b"], output_field=BooleanField()),
            later_reached=later_steps_reached(days),
            **extra,
        )
        .order_by()
        .values_list(*fields, "is_100m", "is_1b", "later_reached")
    )
    # Rows as dicts made here: Django's values() builds each one key by key, a third of this
    # function's time over 10,000 projects. Without the cycle collector rescanning them (a tenth).
    names = (*fields, "is_100m", "is_1b", "reached")
    rows = []
    with cycle_collector_paused():
        for values in found:
            row = dict(zip(names, values))
            row["is_100m"], row["is_1b"] = bool(row["is_100m"]), bool(row["is_1b"])  # SQLite returns 0/1
            if details:
                row["actual_dates"] = parse_actual_dates(row.pop("later_dates"))
            rows.append(row)
    # Sorted here, not by the database's collation, so every backend lists codes in the same order.
    rows.sort(key=lambda row: row["code"])
    return rows


def tally(rows: list[dict], field: str, keys: list[str]) -> dict[str, int]:
    """Counts by a field's value: every key of `keys` (zeros included), plus 未填写 when some rows
    have no value, plus any value not in `keys` (kept rather than hidden, in the order first met)."""
    result = dict.fromkeys(keys, 0)
    for value, count in Counter(map(itemgetter(field), rows)).items():
        result[value or UNSET] = result.get(value or UNSET, 0) + count
    return result


def cumulative(by_month: dict[str, int]) -> dict[str, int]:
    """Running totals of a month-ordered count."""
    result, running = {}, 0
    for month, count in by_month.items():
        running += count
        result[month] = running
    return result


def level_figures(rows: list[dict], *, months: list[str]) -> dict:
    """The breakdowns of one level's counted projects."""
    by_signing_month = Counter((row["signing_date"].year, row["signing_date"].month) for row in rows)
    by_month = {month: by_signing_month.get((int(month[:4]), int(month[5:])), 0) for month in months}
    reached = Counter()
    for packed, count in Counter(map(itemgetter("reached"), rows)).items():  # a few hundred kinds at most
        reached[steps_on(packed, BY_AS_OF)] += count
    # A project that reached step n has passed every step before it.
    node_reached = {key: sum(count for steps, count in reached.items() if steps > index)
                    for index, (key, _) in enumerate(STEPS)}
    return {
        "by_month": by_month,
        "cumulative_by_month": cumulative(by_month),
        "by_cluster": tally(rows, "cluster", list(Cluster.values)),
        "by_source": tally(rows, "source", list(Source.values)),
        "by_channel": tally(rows, "channel", list(Channel.values)),
        "node_reached": node_reached,
    }


def landing_rates(rows: list[dict], *, year: int, as_of: datetime.date) -> dict:
    """Section 5 (落地率): of the counted ≥1亿 projects signed in the year, the share landed by
    31 December of the year (当年) and of the next year (两年); null until that date has passed."""
    result = {}
    days = reach_days(year=year, as_of=as_of)
    for key, label, position in (
        ("current_year", "当年落地率", BY_END_OF_YEAR),
        ("two_year", "两年落地率", BY_END_OF_NEXT_YEAR),
    ):
        deadline = days[position]
        entry = {"label": label, "deadline": deadline.isoformat(), "rate": None, "landed": None,
                 "counted": None, "projects": None}
        if as_of > deadline:
            landed = [row["code"] for row in rows if steps_on(row["reached"], position) > LAND_STEP]
            entry.update(rate=ratio(len(landed), len(rows)), landed=len(landed), counted=len(rows),
                         projects=landed)
        result[key] = entry
    return result


def task_split(rows_by_level: dict, *, platform_targets) -> list[dict]:
    """Section 5 (任务分解): each platform with a target share — its counts, completion and rank
    (by ≥1亿 completion; equal completions share a rank, platforms without a ≥1亿 share rank last)."""
    counts = {level: Counter(map(itemgetter("platform_id"), rows)) for level, rows in rows_by_level.items()}
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
    items.sort(key=lambda item: highest_first(item["completion"]["100m"]))
    competition_rank(items, key=lambda item: item["completion"]["100m"])
    return items


def year_targets(year: int) -> dict[str, int | None]:
    target = YearTarget.objects.filter(year=year).first()
    return {"100m": target.target_100m if target else None, "1b": target.target_1b if target else None}


def headline(*, year: int, as_of: datetime.date, targets: dict, counts: dict) -> dict:
    """The first keys of section 9's 1330 JSON, the same in the full report and the counts alone."""
    return {
        "year": year,
        "as_of": as_of.isoformat(),
        "time_progress": round(time_progress(year=year, as_of=as_of), 4),
        "targets": targets,
        "counts": counts,
        "completion": {level: ratio(counts[level], targets[level]) for level in counts},
    }


def paces(*, year: int, as_of: datetime.date, targets: dict, counts: dict) -> dict:
    return {level: pace(count=counts[level], target=targets[level], year=year, as_of=as_of) for level in counts}


class _Codes(Aggregate):
    """The aggregated projects' codes as a list, in no order: array_agg on PostgreSQL,
    json_group_array on SQLite (JSON text, decoded here)."""

    function = "ARRAY_AGG"
    output_field = Field()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra_context)

    def convert_value(self, value, expression, connection):
        if value is None:  # a group none of whose projects passed the filter
            return []
        return json.loads(value) if isinstance(value, str) else value


def progress_1330_counts(*, year: int, as_of: datetime.date) -> dict:
    """The 1330 figures a page shows beside other things (the dashboard), without the rows behind
    them (issue 12): year, as_of, time_progress, targets, counts, completion, pace, by_month and
    cumulative_by_month (≥1亿), and projects_1b (the 10亿 codes).

    The same numbers as progress_1330, counted by the database in one aggregate query instead of
    fetching every counted project: at 100,000 projects the full report was 61% of the web
    workers' CPU, and the dashboard used only these. One row per signing month (the counting
    window lies within the year) with both levels' counts and the 10亿 codes: a count per month as
    its own FILTER clause repeated the level test 14 times (Django took 10 ms to build them), and
    the codes took a second query (14 ms), of the 60 ms this took at 100,000 projects (bench/run.py)."""
    thresholds = load_thresholds()
    targets = year_targets(year)
    months = months_until(year=year, as_of=as_of)
    shared, tests = counted_levels_q(year=year, as_of=as_of, thresholds=thresholds)
    by_signing_month = (
        Project.objects.filter(shared & (tests["100m"] | tests["1b"]))
        .order_by()
        .values(month=ExtractMonth("signing_date"))
        .annotate(count_100m=Count("pk", filter=tests["100m"]), count_1b=Count("pk", filter=tests["1b"]),
                  codes_1b=_Codes("code", filter=tests["1b"]))
    )
    counts, by_month, codes_1b = {"100m": 0, "1b": 0}, dict.fromkeys(months, 0), []
    for group in by_signing_month:
        counts["100m"] += group["count_100m"]
        counts["1b"] += group["count_1b"]
        codes_1b += group["codes_1b"]
        month = f"{year}-{int(group['month']):02d}"
        if month in by_month:
            by_month[month] += group["count_100m"]
    return {
        **headline(year=year, as_of=as_of, targets=targets, counts=counts),
        "pace": paces(year=year, as_of=as_of, targets=targets, counts=counts),
        "by_month": by_month,
        "cumulative_by_month": cumulative(by_month),
        # Sorted here, not by the database's collation, as progress_1330 lists them.
        "projects_1b": sorted(codes_1b),
    }


def progress_1330(*, year: int, as_of: datetime.date, with_rows: bool = True,
                  rows_window: slice | None = None) -> dict:
    """The 1330 report (DOMAIN.md sections 5 and 9) for `year` as known on `as_of`.

    The keys of section 9 exactly, plus: pace (ahead/behind), cumulative_by_month, by_channel,
    by_platform, landing_rate, task_split, levels["1b"] (the 10亿 breakdowns), thresholds, and
    rows (the projects behind the numbers, for the PDF and Excel tables) unless with_rows is False.
    With `rows_window` only those rows are turned into JSON (the API's page of them) and
    rows_count says how many there are in all.
    """
    thresholds = load_thresholds()
    targets = year_targets(year)
    rows = counted_rows(year=year, as_of=as_of, thresholds=thresholds, details=with_rows)
    by_level = {"100m": [r for r in rows if r["is_100m"]], "1b": [r for r in rows if r["is_1b"]]}
    counts = {level: len(level_rows) for level, level_rows in by_level.items()}
    months = months_until(year=year, as_of=as_of)
    figures = {level: level_figures(level_rows, months=months) for level, level_rows in by_level.items()}
    main = figures["100m"]
    platforms = list(Platform.objects.order_by("name").values_list("name", flat=True))
    platform_targets = PlatformTarget.objects.filter(year=year).select_related("platform")
    report = {
        **headline(year=year, as_of=as_of, targets=targets, counts=counts),
        "projects": {level: [r["code"] for r in level_rows] for level, level_rows in by_level.items()},
        "by_month": main["by_month"],
        "by_cluster": main["by_cluster"],
        "by_source": main["by_source"],
        "node_reached": main["node_reached"],
        # --- beyond the contract of section 9 ---
        "pace": paces(year=year, as_of=as_of, targets=targets, counts=counts),
        "cumulative_by_month": main["cumulative_by_month"],
        "by_channel": main["by_channel"],
        "by_platform": tally(by_level["100m"], "platform_name", platforms),
        "landing_rate": landing_rates(by_level["100m"], year=year, as_of=as_of),
        "task_split": task_split(by_level, platform_targets=platform_targets),
        "levels": {"1b": {**figures["1b"], "by_platform": tally(by_level["1b"], "platform_name", [])}},
        "thresholds": {level: {currency: float(amount) for currency, amount in values.items()}
                       for level, values in thresholds.items()},
    }
    if with_rows:
        if rows_window is None:
            report["rows"] = [public_row(row) for row in rows]
        else:
            report["rows"] = [public_row(row) for row in rows[rows_window]]
            report["rows_count"] = len(rows)
    return report


def public_row(row: dict) -> dict:
    """A counted project as plain JSON-able data."""
    reached = steps_on(row["reached"], BY_AS_OF)
    return {
        "code": row["code"],
        "name": row["name"],
        "total_investment": float(row["total_investment"]),
        "currency": row["currency"],
        "amount_unit": amount_unit(row["currency"]),
        "investment": amount_label(row["total_investment"], row["currency"]),
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


# --- shared lists for the bulletin and the leader report ------------------------------------------


def overdue_list(*, as_of: datetime.date, projects=None) -> list[dict]:
    """The overdue nodes of milestones.selectors.overdue_nodes (section 4, most overdue first) with
    the names a printed list needs. `projects`: optional queryset to restrict to."""
    nodes = overdue_nodes(as_of=as_of)
    if projects is not None:
        nodes = nodes.filter(project__in=projects.values("pk"))
    return [
        {"code": code, "name": name, "node_type": node_type, "node": NodeType(node_type).label,
         "planned_date": planned, "overdue_days": int(days), "light": light, "unit": unit or "（未指定单位）",
         "leader": leader}
        for code, name, node_type, planned, days, light, unit, leader in nodes.values_list(
            "project__code", "project__name", "node_type", "planned_date", "overdue_days", "light",
            "responsible_unit__name", "project__contact_leader__name",
        )
    ]


def due_soon_list(*, as_of: datetime.date, projects=None) -> list[dict]:
    nodes = due_soon_nodes(as_of=as_of)
    if projects is not None:
        nodes = nodes.filter(project__in=projects.values("pk"))
    return [
        {"code": code, "name": name, "node": NodeType(node_type).label, "planned_date": planned,
         "days_left": int(days), "unit": unit or "（未指定单位）"}
        for code, name, node_type, planned, days, unit in nodes.values_list(
            "project__code", "project__name", "node_type", "planned_date", "days_left", "responsible_unit__name",
        )
    ]



def problem_rows(queryset, *, as_of: datetime.date) -> list[dict]:
    rows = queryset.annotate(reply_overdue=ExpressionWrapper(problem_reply_overdue_q(as_of), output_field=BooleanField()))
    return [
        {"code": code, "name": name, "category": ProblemCategory(category).label, "description": description,
         "unit": unit or "（未交办）", "raised_on": raised_on, "reply_by": reply_by,
         "status": ProblemStatus(status).label, "reply_overdue": bool(overdue), "age_days": (as_of - raised_on).days,
         "overdue_days": (as_of - reply_by).days if overdue else None, "leader": leader}
        for code, name, category, description, unit, raised_on, reply_by, status, overdue, leader in rows.values_list(
            "project__code", "project__name", "category", "description", "assigned_unit__name", "raised_on",
            "reply_by", "status", "reply_overdue", "project__contact_leader__name",
        )
    ]


def problem_reply_ranking(*, as_of: datetime.date) -> list[dict]:
    """Section 7: units ranked by problems replied on time, over the problems raised this year up to
    as_of. A problem is due once it is answered or its reply-by date has passed; it was answered on
    time when its reply (or resolution, whichever came first) is dated on or before its reply-by
    date. Rank by on-time rate (then by number due); one grouped query."""
    answered_on = Coalesce("replied_on", "resolved_on")
    answered = Q(answered_on__isnull=False, answered_on__lte=as_of)
    grouped = (
        Problem.objects.filter(raised_on__gte=datetime.date(as_of.year, 1, 1), raised_on__lte=as_of,
                               assigned_unit__isnull=False)
        .annotate(answered_on=answered_on)
        .values("assigned_unit__name")
        .annotate(
            assigned=Count("pk"),
            due=Count("pk", filter=answered | Q(reply_by__lt=as_of)),
            on_time=Count("pk", filter=answered & Q(answered_on__lte=F("reply_by"))),
            overdue=Count("pk", filter=problem_reply_overdue_q(as_of)),
        )
        .order_by()
    )
    items = [
        {"unit": row["assigned_unit__name"], "assigned": row["assigned"], "due": row["due"],
         "on_time": row["on_time"], "late": row["due"] - row["on_time"], "overdue": row["overdue"],
         "on_time_rate": ratio(row["on_time"], row["due"])}
        for row in grouped
    ]
    items.sort(key=lambda item: (*highest_first(item["on_time_rate"]), -item["due"], item["unit"]))
    competition_rank(items, key=lambda item: item["on_time_rate"])
    return items


def unit_light_ranking(*, as_of: datetime.date) -> list[dict]:
    """The 晾晒 table: milestones.selectors.light_counts_by_unit ranked worst first (most red, then
    most yellow, then most overdue nodes); equal rows share a rank."""
    items = []
    for row in light_counts_by_unit(as_of=as_of):
        total = row["red"] + row["yellow"] + row["green"]
        items.append({**row, "total": total, "green_rate": ratio(row["green"], total)})
    score = lambda item: (item["red"], item["yellow"], item["overdue_nodes"])  # noqa: E731
    items.sort(key=lambda item: (tuple(-v for v in score(item)), item["unit"]))
    competition_rank(items, key=score)
    return items


def bulletin_week(as_of: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The bulletin's week: the 7 days ending on as_of, inclusive. Consecutive bulletins tile the
    calendar only while the weekly alert runs on the same weekday: when a holiday moves the first
    working day (Monday one week, Wednesday the next), two days are left out and then covered twice."""
    return as_of - datetime.timedelta(days=6), as_of


def bulletin_data(*, as_of: datetime.date) -> dict:
    """The weekly bulletin (周通报): this week's new signings and node completions, lights by unit
    ranked (晾晒), units ranked by problems replied on time, the overdue list, open problems older
    than 14 days, overdue problem replies, suspended projects. Query count independent of the
    number of projects."""
    start, end = bulletin_week(as_of)
    thresholds = load_thresholds()
    signings = (
        Project.objects.filter(signing_date__gte=start, signing_date__lte=end)
        .exclude(status=Status.NEGOTIATING)
        .annotate(
            is_100m=ExpressionWrapper(qualifies_q(thresholds.get("100m", {})), output_field=BooleanField()),
            is_1b=ExpressionWrapper(qualifies_q(thresholds.get("1b", {})), output_field=BooleanField()),
        )
        .order_by("signing_date", "code")
        .values_list("code", "name", "total_investment", "currency", "cluster", "platform__name",
                     "responsible_unit__name", "signing_date", "is_100m", "is_1b")
    )
    completions = (
        Node.objects.filter(actual_date__gte=start, actual_date__lte=end)
        .exclude(node_type=NodeType.SIGN)
        .order_by("actual_date", "project__code")
        .values_list("project__code", "project__name", "node_type", "actual_date", "planned_date",
                     "responsible_unit__name")
    )
    open_problems = Problem.objects.select_related(None).order_by("raised_on", "id")
    suspended = suspended_projects(as_of=as_of).values_list(
        "code", "name", "responsible_unit__name", "contact_leader__name", "suspended_on", "suspended_days",
        "suspended_from", "status_reason",
    )
    return {
        "as_of": as_of,
        # 第N期 is the ISO week: late-December dates may belong to next year's week 1.
        "issue_year": as_of.isocalendar()[0],
        "issue": as_of.isocalendar()[1],
        "week": {"start": start, "end": end},
        "new_signings": [
            {"code": code, "name": name, "investment": amount_label(value, currency), "total_investment": value,
             "amount_unit": amount_unit(currency), "cluster": cluster or UNSET, "platform": platform or UNSET,
             "unit": unit or "（未指定单位）", "signing_date": signed, "is_100m": bool(is_100m), "is_1b": bool(is_1b)}
            for code, name, value, currency, cluster, platform, unit, signed, is_100m, is_1b in signings
        ],
        "node_completions": [
            {"code": code, "name": name, "node": NodeType(node_type).label, "actual_date": actual,
             "planned_date": planned, "on_time": planned is None or actual <= planned,
             "unit": unit or "（未指定单位）"}
            for code, name, node_type, actual, planned, unit in completions
        ],
        "lights": light_counts(as_of=as_of),
        "lights_by_unit": unit_light_ranking(as_of=as_of),
        "problem_ranking": problem_reply_ranking(as_of=as_of),
        "overdue": overdue_list(as_of=as_of),
        "stale_problems": problem_rows(open_problems.filter(problem_stale_q(as_of)), as_of=as_of),
        "overdue_replies": problem_rows(open_problems.filter(problem_reply_overdue_q(as_of)).order_by("reply_by", "id"),
                                        as_of=as_of),
        "factors": report_factors(as_of=as_of),  # section 11's 要素保障 section
        "suspended": [
            {"code": code, "name": name, "unit": unit or "（未指定单位）", "leader": leader, "suspended_on": since,
             "suspended_days": days, "suspended_from": Status(previous).label if previous else "", "reason": reason}
            for code, name, unit, leader, since, days, previous, reason in suspended
        ],
        "capacity": _capacity_section(as_of=as_of, week_start=start),
    }


def _capacity_section(*, as_of, week_start):
    # reports.compliance builds on this module's helpers, so it is imported when used.
    from .compliance import capacity_bulletin

    return capacity_bulletin(as_of=as_of, week_start=week_start)


def amount_unit(currency: str) -> str:
    return AMOUNT_UNIT_LABEL[currency]


def amount_label(value, currency: str) -> str:
    """12,000万元 / 1,500.5万美元: thousands separated, no trailing zeros."""
    if value is None:
        return "—"
    number = f"{Decimal(value):,.4f}".rstrip("0").rstrip(".")
    return f"{number}{amount_unit(currency)}"


LIGHT_ORDER = {"red": 0, "yellow": 1, "green": 2, None: 3}


def leader_report_data(*, leader, as_of: datetime.date) -> dict:
    """A city leader's contact projects (市领导联系重大项目制度): each with its light (section 4) and
    next pending node, the overdue and due-soon nodes, and the problems not yet resolved."""
    contact = Project.objects.filter(contact_leader=leader)
    pending = Prefetch("nodes", queryset=Node.objects.filter(actual_date__isnull=True), to_attr="pending_nodes")
    projects = (
        annotate_light(contact, as_of=as_of)
        .select_related("responsible_unit")
        .prefetch_related(pending)
        .order_by("code")
    )
    project_items = []
    for project in projects:
        pending_nodes = sorted(project.pending_nodes, key=lambda node: NODE_ORDER.index(node.node_type))
        if project.status == Status.IN_PRODUCTION:
            # Section 10: in production, only the 达产 node is still being chased.
            pending_nodes = [node for node in pending_nodes if node.node_type == NodeType.CAPACITY]
        next_node = pending_nodes[0] if pending_nodes and project.status in LIGHT_STATUSES else None
        project_items.append({
            "code": project.code, "name": project.name,
            "investment": amount_label(project.total_investment, project.currency),
            "total_investment": project.total_investment, "amount_unit": project.amount_unit,
            "unit": project.responsible_unit.name if project.responsible_unit else "（未指定单位）",
            "status": project.get_status_display(), "light": project.light,
            "max_overdue_days": project.max_overdue_days,
            "signing_date": project.signing_date,
            "next_node": next_node.get_node_type_display() if next_node else "—",
            "next_planned": next_node.planned_date if next_node else None,
        })
    project_items.sort(key=lambda item: (LIGHT_ORDER[item["light"]], item["code"]))
    problems = Problem.objects.filter(project__contact_leader=leader).exclude(status=ProblemStatus.RESOLVED)
    problem_items = problem_rows(problems.order_by("reply_by", "id"), as_of=as_of)
    return {
        "leader": str(leader),
        "as_of": as_of,
        "projects": project_items,
        "lights": light_counts(as_of=as_of, projects=contact),
        "overdue": overdue_list(as_of=as_of, projects=contact),
        "due_soon": due_soon_list(as_of=as_of, projects=contact),
        "problems": problem_items,
        "overdue_problem_count": sum(1 for item in problem_items if item["reply_overdue"]),
    }
