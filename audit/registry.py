"""Which models are audited, and which of their fields (issue 8 §2)."""

from auditlog.registry import auditlog

from milestones.models import Node
from projects.models import Instruction, Problem, ProblemReply, ProgressNote, Project


def _register(model, *, exclude=()):
    # auditlog's diff of a new object walks every field, reverse relations included (a "nodes"
    # entry reading "milestones.Node.None"): only the object's own columns are its data.
    reverse = [f.name for f in model._meta.get_fields() if not f.concrete]
    auditlog.register(model, exclude_fields=["id", *exclude, *reverse])


# Bookkeeping columns that change with every save or are the system's own, not anyone's edit.
# next_due is derived from the nodes (their own changes are audited), kept by milestones.services.
_register(Project, exclude=["updated_at", "created_at", "next_due"])
_register(Node, exclude=["escalated_on"])
_register(Problem, exclude=["created_at"])
_register(ProblemReply, exclude=["at"])
_register(Instruction, exclude=["at"])
_register(ProgressNote, exclude=["at"])
