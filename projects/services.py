"""Writes to projects (HackSoft style: keyword-only functions, one transaction each).

A transition is one call to `project_transition`: it locks the row, checks the guards, runs the
django-fsm method, writes the history row, records the node's actual date, re-derives planned dates
and queues notifications, all in one transaction.
"""

import datetime
import hashlib
import operator
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from audit.services import audit_record_update
from milestones import services as node_services
from milestones.models import NodeType

from . import compliance, signals
from .models import (
    PROBLEM_REPLY_DAYS,
    Instruction,
    Problem,
    ProblemReply,
    ProblemStatus,
    ProgressNote,
    Project,
    Status,
    Transition,
    TransitionLog,
    last_revertible,
    local_today,
)
from .validation import TEXT_MAX_LENGTH, labelled, text_problem, value_errors


class TransitionRefused(ValidationError):
    """A guard said no; `messages` holds the Chinese reasons for the user."""


class EditConflict(Exception):
    """The project was saved by someone else after this editor loaded it (HTTP 409): saving the
    stale form would silently undo their change (issue 8, section 4)."""

    def __init__(self, *, project, changes):
        self.project = project  # as stored now
        self.changes = changes  # [(label, as loaded, as stored now)]; empty when the loaded values are unknown
        lines = [f"{label}：「{old}」→「{new}」" for label, old, new in changes]
        self.message = "已被他人修改，请核对后重新保存" + ("。对方改动：" + "；".join(lines) if lines else "")
        super().__init__(self.message)


class TransitionConflict(Exception):
    """Another change to the same project won the race (HTTP 409)."""

    def __init__(self, message="该项目刚被其他人更新，请刷新后重试"):
        super().__init__(message)
        self.message = message


# Fields a transition's form may fill in on the way (the land area with 供地, the code with 入库 …).
TRANSITION_FIELDS = {
    Transition.SIGN: {"total_investment", "currency", "is_manufacturing", "cluster", "responsible_unit"},
    Transition.ACQUIRE_LAND: {"land_area"},
    Transition.ENTER_STATISTICS: {"stats_code"},
    # Section 10: the transition asks for the 达产复核 values where indicators were agreed.
    Transition.REACH_CAPACITY: set(compliance.ACTUAL_FIELDS),
}

# Project fields a transition body may change; snapshotted so that a revert restores them.
_SNAPSHOT_FIELDS = ("signing_date", "suspended_from", "suspended_on", "status_reason", "last_event_date",
                    "land_area", "stats_code", "total_investment", "currency", "is_manufacturing", "cluster",
                    "responsible_unit_id", *compliance.REVIEW_FIELDS)


_snapshot_values = operator.attrgetter(*_SNAPSHOT_FIELDS)


def _snapshot(project):
    # Read in one call: the ledger import snapshots ~27,000 transitions per 10,000 rows (issue 12).
    return {name: str(value) if isinstance(value, (datetime.date, Decimal)) else value
            for name, value in zip(_SNAPSHOT_FIELDS, _snapshot_values(project))}


def _restore(project, values):
    for name, value in values.items():
        if name == "node_actual":
            continue
        field = project._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
        if value is not None and field.get_internal_type() == "DateField":
            value = datetime.date.fromisoformat(value)
        elif value is not None and field.get_internal_type() == "DecimalField":
            value = Decimal(value)
        setattr(project, name, value)


@transaction.atomic
def project_transition(
    *,
    project: Project,
    name: str,
    user=None,
    effective_date: datetime.date,
    note: str = "",
    reason: str = "",
    fields: dict | None = None,
    expected_status: str | None = None,
    today: datetime.date | None = None,
) -> TransitionLog:
    """Run transition `name` (section 2) and everything that follows from it, or refuse it whole."""
    if name not in Transition.values:
        raise TransitionRefused([f"未知的操作：{name}"])
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if expected_status is not None and locked.status != expected_status:
        raise TransitionConflict()
    fields = fields or {}
    unknown = set(fields) - TRANSITION_FIELDS.get(name, set())
    if unknown:
        raise TransitionRefused([f"{Transition(name).label}时不能修改：{'、'.join(sorted(unknown))}"])
    before = _snapshot(locked)
    for field_name, value in fields.items():
        setattr(locked, field_name, value)
    # The fields a step fills in obey the same rules as the project form (docs/DOMAIN.md section 12).
    invalid = labelled(value_errors(locked, fields=fields), Project)
    invalid += _free_text_problems(note=note, reason=reason)
    if invalid:
        raise TransitionRefused(invalid)
    reason = reason or (note if name in (Transition.SUSPEND, Transition.TERMINATE) else "")
    problems = locked.transition_problems(name, effective_date=effective_date, reason=reason, today=today)
    if problems:
        raise TransitionRefused(problems)
    source = locked.status
    getattr(locked, name)(effective_date=effective_date, reason=reason)
    locked.save()
    previous_actual = node_services.record_actual(project=locked, transition=name, effective_date=effective_date)
    before["node_actual"] = previous_actual.isoformat() if previous_actual else None
    log = TransitionLog.objects.create(
        project=locked,
        transition=name,
        source_state=source,
        target_state=locked.status,
        effective_date=effective_date,
        note=note or reason,
        by=user,
        previous_values=before,
    )
    _after_change(locked)
    _refresh(project, locked)
    return log


def _free_text_problems(**texts):
    """Notes and reasons are stored in the history, which is never edited: check them before."""
    labels = {"note": "备注", "reason": "原因"}
    problems = []
    for key, text in texts.items():
        problem = text_problem(text, lines=True)
        if problem:
            problems.append(f"{labels[key]}{problem}")
        if len(text) > TEXT_MAX_LENGTH:
            problems.append(f"{labels[key]}不能超过 {TEXT_MAX_LENGTH} 个字")
    return problems


@transaction.atomic
def project_revert_last(*, project: Project, user=None, reason: str, undoes: int | None = None) -> TransitionLog:
    """The audited correction of section 2: undo the latest transition, keeping both rows.

    `undoes` names the history row the user saw as the latest (the page and the admin always send
    it): a double-click, or two people correcting at once, then undo that one transition once,
    instead of the second request silently undoing the one before it."""
    if not reason.strip():
        raise TransitionRefused(["撤销须填写原因"])
    locked = Project.objects.select_for_update().get(pk=project.pk)
    last = last_revertible(locked.history.order_by("-id"), locked.status)
    if undoes is not None and (last is None or last.pk != undoes):
        raise TransitionRefused([_revert_stale_message(locked, undoes)])
    if last is None:
        raise TransitionRefused(["没有可撤销的状态变更"])
    node_type = node_services.TRANSITION_NODE.get(last.transition)
    previous_actual = last.previous_values.get("node_actual")
    _restore(locked, last.previous_values)
    locked.save()
    # The state field is protected from assignment; a correction is the one sanctioned bypass. An
    # UPDATE sends no signal, so the audit trail is told here.
    Project.objects.filter(pk=locked.pk).update(status=last.source_state)
    audit_record_update(locked, {"status": (last.target_state, last.source_state)})
    locked.refresh_from_db()
    if node_type:
        node_services.sync_nodes(
            project=locked,
            actual_dates={node_type: datetime.date.fromisoformat(previous_actual) if previous_actual else None},
        )
    else:
        node_services.store_next_due(project=locked)  # back to a state that may have a light, or not
    revert = TransitionLog.objects.create(
        project=locked,
        transition=TransitionLog.REVERT,
        source_state=last.target_state,
        target_state=last.source_state,
        effective_date=None,
        note=f"撤销「{last.transition_label}」：{reason}",
        by=user,
    )
    last.reverted_by = revert
    last.save(update_fields=["reverted_by"])
    _after_change(locked)
    _refresh(project, locked)
    return revert


def _revert_stale_message(project, undoes):
    named = project.history.filter(pk=undoes).first()
    if named is None:
        return "要撤销的状态变更不存在，请刷新页面"
    if named.reverted_by_id is not None:
        return f"「{named.transition_label}」已被撤销，不能重复撤销"
    return f"「{named.transition_label}」已不是最近一次状态变更（项目现为「{project.get_status_display()}」），请刷新后重试"


def _refresh(project, locked):
    if project is not locked:
        project.refresh_from_db()


def _after_change(project):
    """Tell the apps above (reminders re-armed, escalations: notifications.receivers)."""
    signals.project_changed.send(sender=Project, project=project)


# --- creating and editing -----------------------------------------------------------------------

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def project_version(project) -> int:
    """What an editor loads and sends back to detect a lost update: the last save's time in
    microseconds. Every writer moves `updated_at` (edits, transitions, reverts, the import, the admin)."""
    return (project.updated_at - _EPOCH) // datetime.timedelta(microseconds=1)


def _shown(project, name, value):
    if value is None or value == "":
        return "空"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    field = project._meta.get_field(name) if name not in NodeType.values else None
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


def changes_since(project, loaded: dict) -> list[tuple[str, str, str]]:
    """(label, as loaded, as stored now) for every value in `loaded` (project fields by name,
    agreed planned dates by node type) that is no longer what is stored."""
    planned = {n.node_type: n.planned_date for n in project.nodes.all() if n.planned_is_agreed}
    changes = []
    for name, old in loaded.items():
        if name in NodeType.values:
            label, new = f"{NodeType(name).label}计划日期", planned.get(name)
        else:
            label, new = str(project._meta.get_field(name).verbose_name), getattr(project, name)
        if old != new and not (old in (None, "") and new in (None, "")):
            changes.append((label, _shown(project, name, old), _shown(project, name, new)))
    return changes


def check_version(project, *, version: int | None, loaded: dict | None = None) -> None:
    """Refuse a save from a form or request that loaded an older version of `project` (locked)."""
    if version is not None and version != project_version(project):
        raise EditConflict(project=project, changes=changes_since(project, loaded or {}))

# What an edit may change. 项目编号 is not among them: it is how ledgers, reports and the API match
# a project (section 2), so it is set once, at creation.
PROJECT_FIELDS = (
    "name", "investor", "total_investment", "currency", "is_manufacturing", "cluster", "source",
    "channel", "platform", "responsible_unit", "contact_leader", "needs_new_land", "land_area", "stats_code",
    "remark", *compliance.AGREED_FIELDS,
)


def _check_fields(data, allowed=PROJECT_FIELDS):
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise ValidationError({key: "该字段不能直接修改" for key in unknown})


def code_taken(code: str) -> None:
    """Refuse a 项目编号 in use, saying by which project and what is free (issue 9); the unique
    constraint stays behind it for a concurrent insert."""
    from .selectors import next_project_code

    taken = Project.objects.filter(code=code.strip()).first() if code else None
    if taken is None:
        return
    raise ValidationError({"code": (
        f"项目编号 {taken.code} 已被「{taken.name}」（{taken.get_status_display()}）使用，"
        f"下一个可用编号为 {next_project_code(year=local_today().year)}"
    )})


@transaction.atomic
def project_create(
    *,
    user=None,
    signing_date: datetime.date | None = None,
    planned_dates: dict | None = None,
    today: datetime.date | None = None,
    **data,
) -> Project:
    """Log a new deal. With a signing date it is signed at once, through the sign guard."""
    _check_fields(data, allowed=("code", *PROJECT_FIELDS))
    code_taken(data.get("code", ""))
    project = Project(created_by=user, **data)
    project.full_clean(exclude=["status"])
    project.save()
    TransitionLog.objects.create(
        project=project, transition=TransitionLog.CREATE, source_state="", target_state=project.status, by=user
    )
    node_services.sync_nodes(project=project, agreed_dates=planned_dates or {})
    if signing_date is not None:
        project_transition(project=project, name=Transition.SIGN, user=user, effective_date=signing_date, today=today)
    return project


@transaction.atomic
def project_update(*, project: Project, user=None, planned_dates: dict | None = None, version: int | None = None,
                   loaded: dict | None = None, **data) -> Project:
    """Edit a project's data (not its state: that moves only by transitions).

    `version` is project_version() as the editor loaded it, `loaded` the values it showed them;
    a save from an older version raises EditConflict naming what changed since."""
    _check_fields(data)
    locked = Project.objects.select_for_update().get(pk=project.pk)
    check_version(locked, version=version, loaded=loaded)
    for key, value in data.items():
        setattr(locked, key, value)
    if locked.status != Status.NEGOTIATING and locked.sign_problems():
        raise ValidationError({"__all__": locked.sign_problems()})
    # Dropping the land node would lose a recorded 供地 date; that is undone by 撤销, not by an edit.
    if not locked.needs_new_land and locked.nodes.filter(node_type=NodeType.LAND, actual_date__isnull=False).exists():
        raise ValidationError({"needs_new_land": "项目已供地，不能改为无需新供地"})
    locked.full_clean(exclude=["status"])
    locked.save()
    node_services.sync_nodes(project=locked, agreed_dates=planned_dates or {})
    _after_change(locked)
    _refresh(project, locked)
    return locked


# --- 达产复核 (section 10) ----------------------------------------------------------------------

# The states in which a project can be reviewed: producing (before 达产) or at capacity (a correction).
REVIEWABLE_STATUSES = (Status.IN_PRODUCTION, Status.AT_CAPACITY)


@transaction.atomic
def capacity_review(*, project: Project, user=None, reviewed_on: datetime.date, values: dict,
                    today: datetime.date | None = None) -> Project:
    """Section 10's 达产复核: record the actual values (fixed-asset investment, yearly tax and output,
    plot ratio, energy per 万元) that the agreed indicators are judged against. `values` holds the
    five fields; a None clears one. A dated note keeps who recorded what and when."""
    unknown = set(values) - set(compliance.ACTUAL_FIELDS)
    if unknown:
        raise ValidationError({key: "该字段不能在达产复核中填写" for key in sorted(unknown)})
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.status not in REVIEWABLE_STATUSES:
        raise ValidationError({"__all__": f"项目当前为「{locked.get_status_display()}」，投产后才能达产复核"})
    today = today or local_today()
    if reviewed_on is None or reviewed_on > today:
        raise ValidationError({"reviewed_on": f"复核日期不能为空，也不能晚于今天（{today:%Y-%m-%d}）"})
    for name, value in values.items():
        setattr(locked, name, value)
    locked.capacity_reviewed_on = reviewed_on
    locked.full_clean(exclude=["status"])
    locked.save()
    check = locked.compliance_check()
    recorded = "；".join(
        f"{Project._meta.get_field(name).verbose_name} {value.normalize():f}"
        for name, value in values.items() if value is not None
    )
    ProgressNote.objects.create(
        project=locked, by=user,
        text=f"达产复核（{reviewed_on:%Y-%m-%d}）：{recorded or '未填写数值'}。结论：{check['verdict']}",
    )
    _refresh(project, locked)
    return locked


# --- problems and notes (section 7) --------------------------------------------------------------


def reply_by_problems(reply_by, *, today=None) -> list[str]:
    """Section 7: a reply-by date must leave the unit time to answer; one before today would list
    the unit at once as 逾期未答复 in the bulletin."""
    today = today or local_today()
    if reply_by is not None and reply_by < today:
        return [f"答复期限 {reply_by:%Y-%m-%d} 不能早于今天（{today:%Y-%m-%d}）"]
    return []


def _unit_of(user):
    profile = getattr(user, "profile", None) if user is not None else None
    return getattr(profile, "unit_id", None)


@transaction.atomic
def problem_raise(*, project, user=None, category, description, assigned_unit=None, raised_on=None,
                  reply_by=None, today=None) -> Problem:
    """Raise a problem; its unit is told at once (交办), unless the unit raised it itself."""
    if reply_by_problems(reply_by, today=today):
        raise ValidationError({"reply_by": reply_by_problems(reply_by, today=today)})
    raised_on = raised_on or local_today()
    problem = Problem(
        project=project, category=category, description=description, raised_by=user, raised_on=raised_on,
        assigned_unit=assigned_unit or project.responsible_unit,
        reply_by=reply_by or raised_on + datetime.timedelta(days=PROBLEM_REPLY_DAYS),
    )
    problem.full_clean()
    problem.save()
    signals.problem_assigned.send(sender=Problem, problem=problem, by_unit_id=_unit_of(user))
    return problem


@transaction.atomic
def problem_assign(*, problem: Problem, unit, reply_by=None, today=None) -> Problem:
    """交办 to a unit with a reply-by date (section 7); the unit is told through the outbox."""
    if reply_by_problems(reply_by, today=today):
        raise ValidationError({"reply_by": reply_by_problems(reply_by, today=today)})
    problem.assigned_unit = unit
    if reply_by is not None:
        problem.reply_by = reply_by
    _check_values(problem, ["reply_by"])
    problem.save(update_fields=["assigned_unit", "reply_by"])
    signals.problem_assigned.send(sender=Problem, problem=problem)
    return problem


@transaction.atomic
def problem_reply(*, problem: Problem, reply: str, replied_on=None, user=None, unit=None) -> Problem:
    """A unit's reply (section 7): a new ProblemReply each time, so a second reply never overwrites
    the first; the problem keeps its status and the first reply's date (answered in time or not)."""
    if not reply.strip():
        raise ValidationError({"reply": "请填写答复内容"})
    if problem.status == ProblemStatus.RESOLVED:
        raise ValidationError({"reply": "问题已解决，不能再答复"})
    replied_on = replied_on or local_today()
    row = ProblemReply(problem=problem, text=reply, replied_on=replied_on, by=user, unit=unit or problem.assigned_unit)
    _check_values(row)
    row.save()
    if problem.replied_on is None:
        problem.replied_on = replied_on
    problem.status = ProblemStatus.REPLIED
    problem.save(update_fields=["replied_on", "status"])
    # Keyed by the text, so a double-clicked reply is sent once.
    signals.problem_replied.send(
        sender=Problem, problem=problem, reply_key=hashlib.sha1(reply.encode()).hexdigest()[:16], text=reply,
        unit_name=row.unit.name if row.unit else "",
    )
    return problem


@transaction.atomic
def problem_resolve(*, problem: Problem, resolution: str, resolved_on=None) -> Problem:
    if not resolution.strip():
        raise ValidationError({"resolution": "请填写解决情况"})
    problem.resolution = resolution
    problem.resolved_on = resolved_on or local_today()
    problem.status = ProblemStatus.RESOLVED
    _check_values(problem, ["resolution", "resolved_on"])
    problem.save(update_fields=["resolution", "resolved_on", "status"])
    signals.problem_resolved.send(sender=Problem, problem=problem)
    return problem


@transaction.atomic
def problem_instruct(*, problem: Problem, leader, text: str, user=None) -> Instruction:
    if not text.strip():
        raise ValidationError({"text": "请填写批示内容"})
    instruction = Instruction(problem=problem, leader=leader, text=text, by=user)
    _check_values(instruction)
    instruction.save()
    signals.problem_instructed.send(sender=Instruction, instruction=instruction)
    return instruction


@transaction.atomic
def progress_note_add(*, project: Project, text: str, user=None, unit=None) -> ProgressNote:
    if not text.strip():
        raise ValidationError({"text": "请填写进展情况"})
    note = ProgressNote(project=project, text=text, by=user, unit=unit)
    _check_values(note)
    note.save()
    return note


def _check_values(instance, fields=None):
    errors = value_errors(instance, fields=fields)
    if errors:
        raise ValidationError(errors)
