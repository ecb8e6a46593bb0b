"""What to send to whom, written to the outbox (DOMAIN.md sections 6, 7 and 7a).

Every function here writes `Notification` rows inside the caller's transaction and enqueues their
delivery with `transaction.on_commit`; if the broker is down the rows stay pending and the sweep
(`sweep_pending`) enqueues them later. Rows are keyed by (reason, channel, recipient), so running
any job twice creates nothing new.

Recipients (section 6):
- a unit: an inbox row and an e-mail (when the user has an address) for each of its users (Profile
  with that unit, role unit or center); a unit with no users yet gets one unit-level inbox row that
  every user of the unit sees; plus the unit's own mailbox and group-robot webhook when configured;
- a leader: the inbox and e-mail of Leader.user; a leader without a login gets a leader-level inbox
  row, shown to the account linked later; plus the leader's group-robot webhook when configured;
- the investment center: the unit(s) with is_investment_center, as a unit.
"""

import datetime
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from milestones import factor_selectors, factor_services
from milestones import selectors as node_selectors
from milestones import workdays
from milestones.factor_selectors import FactorStatus
from milestones.models import FACTOR_UNITS, FactorType, Node, NodeType
from milestones.selectors import DaysBetween
from projects.models import (
    Leader,
    Problem,
    Profile,
    Role,
    Unit,
    local_today,
    problem_reply_overdue_q,
    problem_stale_q,
)

from .models import Channel, DeliveryStatus, Kind, Notification, ReminderOffset

logger = logging.getLogger(__name__)

DEFAULT_REMINDER_OFFSETS = (10, 3)  # section 6; the ReminderOffset table overrides them
# Rows are handed to the broker at commit; the sweep only looks at them after this grace period.
SWEEP_GRACE = datetime.timedelta(minutes=2)
RETRY_TOLERANCE = datetime.timedelta(seconds=5)  # a countdown may fire a little before its time
# A worker that dies mid-send releases its row after this, and the sweep sends it again. Longer
# than a send can take (WEBHOOK_TIMEOUT_SECONDS, settings.EMAIL_TIMEOUT), short enough that a
# re-send after a crash comes within minutes, not the 5+ minutes it used to.
CLAIM_SECONDS = settings.NOTIFICATION_CLAIM_SECONDS
MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 3600


# --- recipients ---------------------------------------------------------------------------------


class Directory:
    """Units, their users and leaders, read once per job (three queries, whatever the projects)."""

    def __init__(self):
        self.units = {u.pk: u for u in Unit.objects.all()}
        self.unit_users: dict[int, list] = defaultdict(list)
        self.centers = [u for u in self.units.values() if u.is_investment_center]
        profiles = Profile.objects.filter(
            Q(unit__isnull=False) | Q(role=Role.CENTER), role__in=[Role.UNIT, Role.CENTER], user__is_active=True
        ).select_related("user")
        for profile in profiles:
            if profile.unit_id is not None:
                self.unit_users[profile.unit_id].append(profile.user)
            elif profile.role == Role.CENTER:
                # A center login without a unit still belongs to the investment center.
                for center in self.centers:
                    self.unit_users[center.pk].append(profile.user)
        self.leaders = {leader.pk: leader for leader in Leader.objects.select_related("user")}


@dataclass
class Message:
    kind: str
    reason: str
    subject: str
    body: str
    project_id: int | None = None
    node_id: int | None = None
    problem_id: int | None = None
    attach_bulletin_as_of: datetime.date | None = None
    extra: dict = field(default_factory=dict)


def _row(message: Message, channel: str, recipient_key: str, **fields) -> Notification:
    inbox = channel == Channel.INBOX
    now = timezone.now()
    return Notification(
        kind=message.kind,
        reason=message.reason,
        channel=channel,
        recipient_key=recipient_key,
        subject=message.subject[:200],
        body=message.body,
        project_id=message.project_id,
        node_id=message.node_id,
        problem_id=message.problem_id,
        # The inbox row is the delivery: it is visible the moment the transaction commits.
        status=DeliveryStatus.SENT if inbox else DeliveryStatus.PENDING,
        sent_at=now if inbox else None,
        next_attempt_at=None if inbox else now + SWEEP_GRACE,
        **fields,
    )


def _user_rows(message, user, audience: str, **owner) -> list[Notification]:
    # The audience is part of the key: a user who is both a unit's member and a leader's login
    # receives the unit's weekly alert and the leader's, not just whichever was built first.
    key = f"user:{user.pk}@{audience}"
    rows = [_row(message, Channel.INBOX, key, recipient=user, **owner)]
    if user.email:
        rows.append(_row(message, Channel.EMAIL, key, recipient=user, address=user.email, **owner))
    return rows


def rows_for_unit(message: Message, unit: Unit, directory: Directory) -> list[Notification]:
    users = directory.unit_users.get(unit.pk, [])
    rows = []
    for user in users:
        rows += _user_rows(message, user, f"unit:{unit.pk}", unit=unit)
    if not users:
        rows.append(_row(message, Channel.INBOX, f"unit:{unit.pk}", unit=unit))
    if unit.email:
        rows.append(_row(message, Channel.EMAIL, f"unit:{unit.pk}", unit=unit, address=unit.email))
    if unit.webhook_url:
        rows.append(_row(message, Channel.WEBHOOK, f"unit:{unit.pk}", unit=unit, address=unit.webhook_url))
    if message.attach_bulletin_as_of is None:
        return rows
    # Only e-mail carries the bulletin PDF.
    for row in rows:
        if row.channel == Channel.EMAIL:
            row.attach_bulletin_as_of = message.attach_bulletin_as_of
    return rows


def rows_for_leader(message: Message, leader: Leader) -> list[Notification]:
    if leader.user_id is not None and leader.user.is_active:
        rows = _user_rows(message, leader.user, f"leader:{leader.pk}", leader=leader)
    else:
        rows = [_row(message, Channel.INBOX, f"leader:{leader.pk}", leader=leader)]
    if leader.webhook_url:
        rows.append(_row(message, Channel.WEBHOOK, f"leader:{leader.pk}", leader=leader, address=leader.webhook_url))
    return rows


def rows_for_centers(message: Message, directory: Directory) -> list[Notification]:
    if not directory.centers:
        logger.warning("No unit is marked as the investment center; %s not sent to it", message.reason)
    rows = []
    for center in directory.centers:
        rows += rows_for_unit(message, center, directory)
    return rows


# --- writing the outbox -------------------------------------------------------------------------


@dataclass
class WriteResult:
    created: int = 0
    existing: int = 0
    recipients: set = field(default_factory=set)


def write_outbox(rows: list[Notification], *, dry_run: bool = False) -> WriteResult:
    """Insert the rows not written before (one query to find them, one bulk insert), and enqueue
    the pending ones when the transaction commits. A concurrent run that inserted the same key
    first wins quietly (ignore_conflicts on the unique key)."""
    result = WriteResult(recipients={row.recipient_key for row in rows})
    if not rows:
        return result
    reasons = {row.reason for row in rows}
    existing = set(
        Notification.objects.filter(reason__in=reasons).values_list("reason", "channel", "recipient_key")
    )
    seen = set(existing)
    new = []
    for row in rows:
        key = (row.reason, row.channel, row.recipient_key)
        # A user reached in two capacities with the same text (an escalation to a leader whose
        # login is also center staff) is one recipient of section 6's once-per-recipient rule;
        # different texts (the unit's and the leader's weekly alert) are both kept.
        same_text = (row.reason, row.channel, row.recipient_id, row.body) if row.recipient_id else key
        if key not in seen and same_text not in seen:
            seen.update((key, same_text))
            new.append(row)
    result.created = len(new)
    result.existing = len(rows) - len(new)
    if dry_run or not new:
        return result
    Notification.objects.bulk_create(new, ignore_conflicts=True, batch_size=500)
    if any(row.status == DeliveryStatus.PENDING for row in new):
        new_reasons = {row.reason for row in new if row.status == DeliveryStatus.PENDING}
        transaction.on_commit(lambda: enqueue_pending(reasons=new_reasons))
    return result


def enqueue_pending(*, reasons=None, ids=None) -> int:
    """Hand pending rows to the broker. A broker that cannot be reached is logged and left to the
    sweep: the rows are already committed, so nothing is lost."""
    from .tasks import deliver_notification

    if ids is None:
        ids = list(
            Notification.objects.filter(reason__in=reasons, status=DeliveryStatus.PENDING).values_list("pk", flat=True)
        )
    sent = 0
    for pk in ids:
        try:
            deliver_notification.delay(pk)
        except Exception as exc:  # kombu raises several types for an unreachable broker
            logger.warning("Broker unavailable, %d notifications left to the sweep: %s", len(ids) - sent, exc)
            break
        sent += 1
    return sent


# --- delivery -----------------------------------------------------------------------------------


def backoff_seconds(attempts: int) -> int:
    """Exponential backoff after the n-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)


@dataclass
class Delivery:
    status: str  # "sent", "retry", "failed", "skipped" (someone else holds or finished it)
    retry_in: int | None = None


def deliver(*, notification_id: int) -> Delivery:
    """Send one row, at least once and deduplicated (section 6).

    Claims the row with a conditional UPDATE (pending and not claimed by a live worker), sends it,
    and only then marks it sent. A failure records the error and the next attempt time; after
    MAX_ATTEMPTS it is marked failed.
    """
    from . import channels

    now = timezone.now()
    # A retry is due only at its next attempt time. Both the task's own retry and the sweep fire
    # then; whichever comes second finds the row sent, or failed again and not yet due.
    due = Q(attempts=0) | Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + RETRY_TOLERANCE)
    claimed = (
        Notification.objects.filter(due, pk=notification_id, status=DeliveryStatus.PENDING)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        # If this worker dies mid-send, the row is due again (for the sweep) when its claim expires.
        .update(claimed_until=now + datetime.timedelta(seconds=CLAIM_SECONDS),
                next_attempt_at=now + datetime.timedelta(seconds=CLAIM_SECONDS), attempts=F("attempts") + 1)
    )
    if not claimed:
        return Delivery("skipped")
    # The owner comes along: a group robot's kind, 加签 secret and keyword are the owner's.
    notification = Notification.objects.select_related("unit", "leader").get(pk=notification_id)
    try:
        channels.notify(notification)
    except Exception as exc:
        logger.warning("Delivery of notification %s (%s) failed, attempt %s: %s",
                       notification.pk, notification.channel, notification.attempts, exc)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if notification.attempts >= MAX_ATTEMPTS:
            Notification.objects.filter(pk=notification.pk).update(
                status=DeliveryStatus.FAILED, last_error=error, claimed_until=None, next_attempt_at=None
            )
            return Delivery("failed")
        wait = backoff_seconds(notification.attempts)
        Notification.objects.filter(pk=notification.pk).update(
            last_error=error, claimed_until=None, next_attempt_at=timezone.now() + datetime.timedelta(seconds=wait)
        )
        return Delivery("retry", retry_in=wait)
    Notification.objects.filter(pk=notification.pk).update(
        status=DeliveryStatus.SENT, sent_at=timezone.now(), claimed_until=None, next_attempt_at=None, last_error=""
    )
    return Delivery("sent")


def sweep_pending(*, now: datetime.datetime | None = None, limit: int = 1000) -> int:
    """Enqueue pending rows whose next attempt is due (a broker outage only delays them)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return enqueue_pending(ids=ids) if ids else 0


def deliver_pending_now(*, now: datetime.datetime | None = None, limit: int = 1000) -> dict:
    """Deliver due pending rows in this process, without a broker (the management command)."""
    now = now or timezone.now()
    ids = list(
        Notification.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    outcomes = defaultdict(int)
    for pk in ids:
        outcomes[deliver(notification_id=pk).status] += 1
    return dict(outcomes)


# --- reminders before a node's planned date (section 6) -----------------------------------------


def reminder_offsets() -> list[int]:
    """Section 6: N working days ahead, ascending (most urgent first); defaults 10 and 3."""
    values = list(ReminderOffset.objects.values_list("working_days", flat=True))
    return sorted(values or DEFAULT_REMINDER_OFFSETS)


def reminder_offset_due(planned: datetime.date, *, as_of: datetime.date, offsets: list[int]) -> int | None:
    """Section 6: which reminder a node planned for `planned` is owed on `as_of`.

    The most urgent offset whose send day (N working days before the planned date) has come. A
    re-armed date whose send days are already past therefore gets one catch-up reminder (the most
    urgent), not all of them at once. A node whose planned date has passed is not reminded: it is
    overdue and goes into the weekly alert and the escalation instead."""
    if planned < as_of:
        return None
    for n in sorted(offsets):
        if workdays.working_days_before(planned, n) <= as_of:
            return n
    return None


def _latest_planned_for(as_of: datetime.date, n: int) -> datetime.date:
    """The latest planned date whose n-working-days-before send day is on or before `as_of`."""
    day = as_of
    while workdays.working_days_before(day + datetime.timedelta(days=1), n) <= as_of:
        day += datetime.timedelta(days=1)
    return day


def _only(queryset, projects):
    """Restrict a node scan to some projects (a list of ids); a long list scans all instead, which
    is safe because what the scan writes is keyed and due anyway."""
    if projects is None:
        return queryset
    ids = list(projects)
    return queryset.filter(project_id__in=ids) if len(ids) <= 500 else queryset


def send_reminders(*, as_of: datetime.date, projects=None, dry_run: bool = False) -> WriteResult:
    """Section 6: remind each pending node's responsible unit N working days before its planned
    date. Keyed by (node, planned date, N), so a changed planned date re-arms the reminders."""
    offsets = reminder_offsets()
    latest = _latest_planned_for(as_of, max(offsets))
    nodes = node_selectors.pending_nodes().filter(
        planned_date__gte=as_of, planned_date__lte=latest, responsible_unit__isnull=False
    ).select_related("project", "responsible_unit")
    nodes = _only(nodes, projects)
    directory = None
    rows = []
    for node in nodes:
        n = reminder_offset_due(node.planned_date, as_of=as_of, offsets=offsets)
        if n is None:
            continue
        directory = directory or Directory()
        left = workdays.working_days_between(as_of, node.planned_date)
        message = Message(
            kind=Kind.REMINDER,
            reason=f"reminder:node={node.pk}:{node.planned_date.isoformat()}:n={n}",
            subject=f"【节点到期提醒】{node.project.code} {node.get_node_type_display()} 计划于 {node.planned_date:%Y-%m-%d} 完成",
            body=(
                f"{node.responsible_unit.name}：\n"
                f"项目「{node.project.code} {node.project.name}」的「{node.get_node_type_display()}」节点"
                f"计划于 {node.planned_date:%Y-%m-%d} 完成，"
                f"{f'距今还有 {left} 个工作日' if left else '到期前已没有工作日'}。\n"
                "请抓紧推进，完成后及时在系统中登记实际日期。"
            ),
            project_id=node.project_id,
            node_id=node.pk,
        )
        rows += rows_for_unit(message, node.responsible_unit, directory)
    return write_outbox(rows, dry_run=dry_run)


# --- escalation (section 7a) --------------------------------------------------------------------


@transaction.atomic
def escalate_overdue(*, as_of: datetime.date, projects=None, dry_run: bool = False) -> WriteResult:
    """Section 7a: a node that turns red (overdue by more than 30 days) goes at once to the
    project's contact leader and the investment center, once.

    `Node.escalated_on` records it. An escalation made while the current planned date was not yet
    red (the date was moved later since) no longer counts, so a re-planned node that turns red again
    is escalated again; an unchanged one never is."""
    nodes = (
        node_selectors.overdue_nodes(as_of=as_of)
        .filter(planned_date__lt=node_selectors.red_before(as_of))
        .annotate(escalated_gap=DaysBetween(F("escalated_on"), F("planned_date")))
        .filter(Q(escalated_on__isnull=True) | Q(escalated_gap__lte=node_selectors.RED_AFTER_DAYS))
    )
    nodes = list(_only(nodes, projects))
    if not nodes:
        return WriteResult()
    directory = Directory()
    rows = []
    for node in nodes:
        p = node.project
        leader = p.contact_leader
        message = Message(
            kind=Kind.ESCALATION,
            reason=f"escalation:node={node.pk}:{node.planned_date.isoformat()}",
            subject=f"【逾期升级督办】{p.code} {node.get_node_type_display()} 已逾期 {node.overdue_days} 天",
            body=(
                f"项目「{p.code} {p.name}」的「{node.get_node_type_display()}」节点计划于 "
                f"{node.planned_date:%Y-%m-%d} 完成，截至 {as_of:%Y-%m-%d} 已逾期 {node.overdue_days} 天（红灯）。\n"
                f"责任单位：{node.responsible_unit.name if node.responsible_unit else '未指定'}；"
                f"联系市领导：{leader.name if leader else '未指定'}。\n请督促责任单位加快推进。"
            ),
            project_id=p.pk,
            node_id=node.pk,
        )
        if leader is not None:
            rows += rows_for_leader(message, directory.leaders.get(leader.pk, leader))
        rows += rows_for_centers(message, directory)
    result = write_outbox(rows, dry_run=dry_run)
    if not dry_run:
        Node.objects.filter(pk__in=[n.pk for n in nodes]).update(escalated_on=as_of)
    return result


# --- problems past their reply-by date (section 7) ----------------------------------------------


def overdue_problems(*, as_of: datetime.date):
    """Section 7: past the reply-by date without a reply."""
    return Problem.objects.filter(problem_reply_overdue_q(as_of))


def remind_overdue_problems(*, as_of: datetime.date, dry_run: bool = False) -> WriteResult:
    """Section 7: a problem past its reply-by date without a reply is reminded to its unit, once
    per reply-by date (a new reply-by date re-arms it)."""
    problems = overdue_problems(as_of=as_of).filter(assigned_unit__isnull=False).select_related(
        "project", "assigned_unit"
    )
    directory = None
    rows = []
    for problem in problems:
        directory = directory or Directory()
        message = Message(
            kind=Kind.PROBLEM,
            reason=f"problem:{problem.pk}:{problem.reply_by.isoformat()}",
            subject=f"【问题答复逾期】{problem.project.code} {problem.get_category_display()}问题",
            body=(
                f"{problem.assigned_unit.name}：\n项目「{problem.project.code} {problem.project.name}」交办的"
                f"{problem.get_category_display()}问题「{problem.description[:100]}」答复期限为 "
                f"{problem.reply_by:%Y-%m-%d}，至今未答复，请尽快答复。"
            ),
            project_id=problem.project_id,
            problem_id=problem.pk,
        )
        rows += rows_for_unit(message, problem.assigned_unit, directory)
    return write_outbox(rows, dry_run=dry_run)


# --- the problem loop: 交办 → 答复 → 批示 → 办结 (section 7) -----------------------------------------
# Each step reaches the next person once (the reason is the idempotency key): 交办 the assigned unit;
# 答复 the center and the project's contact leader; 批示 the assigned unit and the center; 办结 the
# leaders who gave a 批示. Called by projects.services inside the step's own transaction.


def _problem_title(problem) -> str:
    return f"{problem.project.code} {problem.project.name}｜{problem.get_category_display()}问题"


def _problem_phrase(problem) -> str:
    return (f"项目「{problem.project.code} {problem.project.name}」的{problem.get_category_display()}问题"
            f"「{problem.description[:100]}」")


def _problem_message(problem, *, kind, reason, subject, body) -> Message:
    return Message(kind=kind, reason=reason, subject=subject, body=body,
                   project_id=problem.project_id, problem_id=problem.pk)


def _leader_rows(message, leader, directory) -> list[Notification]:
    return rows_for_leader(message, directory.leaders.get(leader.pk, leader))


def problem_assigned(*, problem, by_unit_id=None) -> WriteResult:
    """交办: the assigned unit learns of the problem and its reply-by date. Keyed by unit and date, so
    交办 again to the same unit with the same date sends nothing new; a unit raising a problem on
    its own project is not told about it."""
    unit = problem.assigned_unit
    if unit is None or unit.pk == by_unit_id:
        return WriteResult()
    message = _problem_message(
        problem, kind=Kind.PROBLEM_ASSIGNED,
        reason=f"problem-assigned:{problem.pk}:unit={unit.pk}:{problem.reply_by.isoformat()}",
        subject=f"【问题交办】{_problem_title(problem)}，请于 {problem.reply_by:%Y-%m-%d} 前答复",
        body=(f"{unit.name}：\n项目「{problem.project.code} {problem.project.name}」的"
              f"{problem.get_category_display()}问题交由你单位办理：\n{problem.description}\n"
              f"请于 {problem.reply_by:%Y-%m-%d} 前在系统中答复。"),
    )
    return write_outbox(rows_for_unit(message, unit, Directory()))


def problem_replied(*, problem, reply_key: str, text: str, unit_name: str = "") -> WriteResult:
    """答复: the center and the project's contact leader read the unit's reply. `reply_key` names
    this one reply, so every reply is sent and none twice."""
    directory = Directory()
    leader = problem.project.contact_leader
    message = _problem_message(
        problem, kind=Kind.PROBLEM_REPLIED, reason=f"problem-replied:{problem.pk}:{reply_key}",
        subject=f"【问题答复】{_problem_title(problem)}",
        body=f"{unit_name or '责任单位'}答复了{_problem_phrase(problem)}：\n{text}",
    )
    rows = rows_for_centers(message, directory)
    if leader is not None:
        rows += _leader_rows(message, leader, directory)
    return write_outbox(rows)


def problem_instructed(*, instruction) -> WriteResult:
    """批示: the assigned unit (which acts on it) and the center."""
    problem = instruction.problem
    directory = Directory()
    message = _problem_message(
        problem, kind=Kind.INSTRUCTION, reason=f"instruction:{instruction.pk}",
        subject=f"【领导批示】{instruction.leader.name}：{_problem_title(problem)}",
        body=f"{instruction.leader.name}对{_problem_phrase(problem)}批示：\n{instruction.text}",
    )
    rows = rows_for_centers(message, directory)
    if problem.assigned_unit is not None and not problem.assigned_unit.is_investment_center:
        rows += rows_for_unit(message, problem.assigned_unit, directory)
    return write_outbox(rows)


def problem_resolved(*, problem) -> WriteResult:
    """办结: every leader who gave the problem a 批示 learns how it ended."""
    leaders = {ins.leader_id: ins.leader for ins in problem.instructions.select_related("leader__user")}
    if not leaders:
        return WriteResult()
    directory = Directory()
    message = _problem_message(
        problem, kind=Kind.PROBLEM_RESOLVED, reason=f"problem-resolved:{problem.pk}",
        subject=f"【问题办结】{_problem_title(problem)}",
        body=f"您批示的{_problem_phrase(problem)}已办结：\n{problem.resolution}",
    )
    rows = []
    for leader in leaders.values():
        rows += _leader_rows(message, leader, directory)
    return write_outbox(rows)


# --- after a project changed (called by projects.services) -------------------------------------


def on_project_changed(*, project) -> None:
    """Called by projects.services after every transition and edit, inside its transaction:
    a planned date that moved into the reminder window gets its (catch-up) reminder, and a node
    that is red after the change is escalated now (section 7a "at that moment"), not tomorrow."""
    on_projects_changed(project_ids=[project.pk])


def cancel_stopped_project_messages(*, project_ids) -> int:
    """Issue 9: when a project is paused or terminated, its reminders and escalations not yet
    delivered (e-mail, robot) are cancelled rather than sent about a project nobody works on."""
    from .selectors import stopped_project_q

    return Notification.objects.filter(
        stopped_project_q(), project_id__in=project_ids, status=DeliveryStatus.PENDING
    ).update(status=DeliveryStatus.CANCELLED, claimed_until=None, next_attempt_at=None)


def on_projects_changed(*, project_ids) -> None:
    """The same for many projects at once (the ledger import), in a fixed number of queries."""
    as_of = local_today()
    cancel_stopped_project_messages(project_ids=project_ids)
    send_reminders(as_of=as_of, projects=project_ids)
    escalate_overdue(as_of=as_of, projects=project_ids)
    # A moved node date can make a need 逾期未保障 (section 11): its problem opens now, not tomorrow.
    factor_services.open_overdue_problems(as_of=as_of, projects=project_ids)


# --- the weekly alert (section 6) ---------------------------------------------------------------


def calendar_warning(as_of: datetime.date) -> str:
    """Section 6: say so when a year the alert depends on has no holiday data."""
    years = {as_of.year, (as_of + datetime.timedelta(days=node_selectors.DUE_SOON_DAYS)).year}
    missing = workdays.years_without_data(years)
    if not missing:
        return ""
    listed = "、".join(str(y) for y in missing)
    return (
        f"注意：系统中没有 {listed} 年的节假日与调休数据，工作日暂按周一至周五计算，"
        "请系统管理员在「节假日与调休」中补录。"
    )


NODE_LABELS = dict(NodeType.choices)
_LINE_FIELDS = ("project__code", "project__name", "node_type", "planned_date", "responsible_unit__name",
                "responsible_unit_id", "project__contact_leader_id")


def _node_lines(queryset, *, overdue: bool) -> list[tuple[int | None, int | None, str]]:
    """(node's unit id, project's leader id, text line) per node, from tuples rather than model
    instances: the weekly alert may list tens of thousands of nodes (see bench/overdue.py)."""
    extra = ("overdue_days", "light") if overdue else ("days_left",)
    lines = []
    for code, name, node_type, planned, unit, unit_id, leader_id, *rest in queryset.values_list(
        *_LINE_FIELDS, *extra
    ):
        if overdue:
            days, light = rest
            state = f"逾期 {days} 天（{'红灯' if light == 'red' else '黄灯'}）"
        else:
            state = f"还有 {rest[0]} 天" if rest[0] else "今天到期"
        text = f"- {code} {name}｜{NODE_LABELS[node_type]}｜计划 {planned:%Y-%m-%d}｜{state}｜{unit or '未指定'}"
        lines.append((unit_id, leader_id, text))
    return lines


def _problem_line(problem, as_of) -> str:
    p = problem.project
    unit = problem.assigned_unit.name if problem.assigned_unit else "未交办"
    age = (as_of - problem.raised_on).days
    late = "，答复已逾期" if problem.is_reply_overdue(as_of) else ""
    return (f"- {p.code} {p.name}｜{problem.get_category_display()}：{problem.description[:60]}｜"
            f"{unit}｜提出 {age} 天{late}")


def _section(title: str, lines: list[str], empty: str = "无") -> str:
    return f"【{title}】（{len(lines)} 项）\n" + ("\n".join(lines) if lines else empty)


def _factor_lines(as_of: datetime.date, *, unit_id: int | None = None) -> dict[str, list[tuple[int | None, str]]]:
    """Section 11: the 逾期未保障 and 预警 needs as (need's unit id, text line), keyed "overdue" and
    "at_risk", most urgent first; one query, tuples rather than model instances (as _node_lines)."""
    lines = {FactorStatus.OVERDUE: [], FactorStatus.AT_RISK: []}
    needs = factor_selectors.urgent_needs(as_of=as_of)
    if unit_id is not None:
        needs = needs.filter(responsible_unit_id=unit_id)
    rows = needs.values_list(
        "project__code", "project__name", "factor_type", "needed", "secured", "gap", "needed_by", "status", "days",
        "responsible_unit_id", "responsible_unit__name",
    )
    for code, name, factor_type, needed, secured, gap, needed_by, status, days, unit_id, unit in rows:
        measure = FACTOR_UNITS[factor_type]
        state = f"逾期 {days} 天" if status == FactorStatus.OVERDUE else (f"还有 {-days} 天" if days else "今天到期")
        lines[status].append((unit_id, (
            f"- {code} {name}｜{FactorType(factor_type).label}｜需求 {needed.normalize():f}{measure}｜"
            f"已保障 {secured.normalize():f}｜缺口 {gap.normalize():f}｜需保障 {needed_by:%Y-%m-%d}｜{state}｜"
            f"{unit or '未指定'}"
        )))
    return lines


CENTER_RECIPIENT = "center"


def weekly_recipients() -> list[str]:
    """Who the weekly alert may go to, one key each: every unit but the center, every contact
    leader, and the center. A key with nothing to read this week writes nothing."""
    units = Unit.objects.filter(is_investment_center=False).order_by("pk").values_list("pk", flat=True)
    leaders = Leader.objects.order_by("pk").values_list("pk", flat=True)
    return [*(f"unit:{pk}" for pk in units), *(f"leader:{pk}" for pk in leaders), CENTER_RECIPIENT]


def fan_out_weekly_alert(*, as_of: datetime.date) -> dict:
    """Issue 12: the weekly alert as one task per recipient (weekly_alert(recipient=…)), so more
    workers (`docker compose up --scale worker=N`) share it. The outbox's unique (reason, channel,
    recipient) key still sends each recipient once however often a task runs. A recipient whose
    task cannot be published (broker down) is done here and now rather than skipped for the week."""
    from .tasks import weekly_alert_for

    queued, inline = 0, 0
    for recipient in weekly_recipients():
        try:
            weekly_alert_for.delay(as_of.isoformat(), recipient)
            queued += 1
        except Exception as exc:  # kombu raises several types for an unreachable broker
            logger.warning("Weekly alert for %s not queued (%s); running it in this process", recipient, exc)
            weekly_alert(as_of=as_of, recipient=recipient)
            inline += 1
    return {"as_of": as_of.isoformat(), "queued": queued, "inline": inline}


def _recipient_scope(recipient: str | None) -> tuple[int | None, int | None]:
    """(unit id, leader id) of a recipient key; (None, None) for the center or everyone."""
    kind, _, pk = (recipient or "").partition(":")
    return (int(pk) if kind == "unit" else None), (int(pk) if kind == "leader" else None)


def weekly_alert(*, as_of: datetime.date, dry_run: bool = False, recipient: str | None = None) -> dict:
    """Section 6: the weekly overdue alert, keyed by the week (Monday's date), so running it twice
    in one week sends nothing new.

    - each unit: the overdue and due-soon nodes it owns, and the problems assigned to it that are
      past their reply-by date or open for more than 14 days;
    - each contact leader: the overdue nodes of their projects and their open problems (unresolved,
      raised more than 14 days ago, or past the reply-by date);
    - the investment center: everything, plus the summary by unit, with the bulletin PDF by e-mail;
    - each unit and the center also get the 逾期未保障 and 预警 needs (section 11) the unit answers for.

    A fixed number of queries: the lists are each one query, grouped in Python. With `recipient`
    ("unit:<id>", "leader:<id>" or "center", see weekly_recipients) only that recipient's message
    is written, from lists read for it alone: one task of fan_out_weekly_alert.
    """
    week = as_of - datetime.timedelta(days=as_of.weekday())
    reason = f"weekly:{week.isoformat()}"
    warning = calendar_warning(as_of)
    unit_scope, leader_scope = _recipient_scope(recipient)
    overdue_nodes = node_selectors.overdue_nodes(as_of=as_of)
    due_soon_nodes = node_selectors.due_soon_nodes(as_of=as_of)
    problems = Problem.objects.filter(problem_stale_q(as_of) | problem_reply_overdue_q(as_of))
    if unit_scope is not None:
        overdue_nodes = overdue_nodes.filter(responsible_unit_id=unit_scope)
        due_soon_nodes = due_soon_nodes.filter(responsible_unit_id=unit_scope)
        problems = problems.filter(assigned_unit_id=unit_scope)
    if leader_scope is not None:
        overdue_nodes = overdue_nodes.filter(project__contact_leader_id=leader_scope)
        due_soon_nodes = due_soon_nodes.none()  # a leader's alert lists no due-soon nodes
        problems = problems.filter(project__contact_leader_id=leader_scope)
    overdue = _node_lines(overdue_nodes, overdue=True)
    due_soon = _node_lines(due_soon_nodes, overdue=False)
    problems = list(
        problems.select_related("project", "project__contact_leader", "assigned_unit").order_by("raised_on", "pk")
    )
    factors = (_factor_lines(as_of, unit_id=unit_scope) if leader_scope is None
               else {FactorStatus.OVERDUE: [], FactorStatus.AT_RISK: []})
    to_center = recipient in (None, CENTER_RECIPIENT)
    by_unit = node_selectors.light_counts_by_unit(as_of=as_of) if to_center else []
    totals = {k: sum(r[k] for r in by_unit) for k in ("red", "yellow", "green", "overdue_nodes")}
    directory = Directory()

    def header(name):
        text = f"{name}：\n以下为截至 {as_of:%Y-%m-%d} 的重大项目关键节点逾期预警（每周一次）。"
        return f"{text}\n{warning}" if warning else text

    subject = f"【每周逾期预警】{as_of:%Y-%m-%d}"
    rows: list[Notification] = []

    unit_overdue, unit_soon, unit_problems = defaultdict(list), defaultdict(list), defaultdict(list)
    leader_overdue, leader_problems = defaultdict(list), defaultdict(list)
    for unit_id, leader_id, line in overdue:
        unit_overdue[unit_id].append(line)
        leader_overdue[leader_id].append(line)
    for unit_id, _, line in due_soon:
        unit_soon[unit_id].append(line)
    for problem in problems:
        unit_problems[problem.assigned_unit_id].append(problem)
        leader_problems[problem.project.contact_leader_id].append(problem)
    unit_factors = {key: defaultdict(list) for key in factors}
    for key, items in factors.items():
        for unit_id, line in items:
            unit_factors[key][unit_id].append(line)

    for unit_id in sorted({*unit_overdue, *unit_soon, *unit_problems, *unit_factors[FactorStatus.OVERDUE],
                           *unit_factors[FactorStatus.AT_RISK]} - {None},
                          key=lambda pk: (directory.units[pk].sort_order, directory.units[pk].name)):
        unit = directory.units[unit_id]
        if unit.is_investment_center or (recipient and recipient != f"unit:{unit_id}"):
            continue  # the center gets the full list below
        body = "\n\n".join([
            header(unit.name),
            _section("逾期节点", unit_overdue[unit_id]),
            _section("14 天内到期节点", unit_soon[unit_id]),
            _section("待协调问题", [_problem_line(p, as_of) for p in unit_problems[unit_id]]),
            _section("要素逾期未保障", unit_factors[FactorStatus.OVERDUE][unit_id]),
            _section("30 天内需保障的要素（预警）", unit_factors[FactorStatus.AT_RISK][unit_id]),
        ])
        rows += rows_for_unit(Message(Kind.WEEKLY, reason, subject, body), unit, directory)

    for leader_id in sorted({*leader_overdue, *leader_problems} - {None}):
        if recipient and recipient != f"leader:{leader_id}":
            continue
        leader = directory.leaders[leader_id]
        body = "\n\n".join([
            header(leader.name),
            _section("联系项目逾期节点", leader_overdue[leader_id]),
            _section("联系项目待协调问题", [_problem_line(p, as_of) for p in leader_problems[leader_id]]),
        ])
        rows += rows_for_leader(Message(Kind.WEEKLY, reason, subject, body), leader)

    if to_center:
        rows += _center_rows(
            header=header("市招商投资中心"), by_unit=by_unit, totals=totals, overdue=overdue, due_soon=due_soon,
            problems=[_problem_line(p, as_of) for p in problems], factors=factors,
            message=Message(Kind.WEEKLY, reason, subject, "", attach_bulletin_as_of=as_of), directory=directory,
        )

    with transaction.atomic():
        written = write_outbox(rows, dry_run=dry_run)
    return {
        "as_of": as_of.isoformat(),
        "week_of": week.isoformat(),
        "dry_run": dry_run,
        "recipient": recipient,
        "overdue_nodes": len(overdue),
        "due_soon_nodes": len(due_soon),
        "problems": len(problems),
        "factor_overdue": len(factors[FactorStatus.OVERDUE]),
        "factor_at_risk": len(factors[FactorStatus.AT_RISK]),
        "lights": {k: totals[k] for k in ("red", "yellow", "green")} if to_center else None,
        "recipients": len(written.recipients),
        "notifications": len(rows),
        "created": written.created,
        "already_sent": written.existing,
        "calendar_warning": warning,
    }


def _center_rows(*, header, by_unit, totals, overdue, due_soon, problems, factors, message, directory):
    """The investment center's weekly alert: everything, with the summary by unit."""
    summary_lines = [
        f"- {r['unit']}｜红灯 {r['red']}｜黄灯 {r['yellow']}｜绿灯 {r['green']}｜逾期节点 {r['overdue_nodes']}"
        for r in by_unit
    ]
    message.body = "\n\n".join([
        header,
        f"在建重大项目：红灯 {totals['red']} 个，黄灯 {totals['yellow']} 个，绿灯 {totals['green']} 个；"
        f"逾期节点 {len(overdue)} 个，14 天内到期节点 {len(due_soon)} 个，待协调问题 {len(problems)} 个。",
        _section("分单位汇总（灯色按项目责任单位，逾期节点按节点责任单位）", summary_lines),
        _section("逾期节点清单", [line for _, _, line in overdue]),
        _section("14 天内到期节点", [line for _, _, line in due_soon]),
        _section("待协调问题", problems),
        _section("要素逾期未保障", [line for _, line in factors[FactorStatus.OVERDUE]]),
        _section("30 天内需保障的要素（预警）", [line for _, line in factors[FactorStatus.AT_RISK]]),
    ])
    return rows_for_centers(message, directory)
