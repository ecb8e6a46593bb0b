"""What the deal's changes tell the apps above it (notifications: the outbox, reminders,
escalations), without projects knowing who listens. Sent inside the change's transaction with
`send` (not `send_robust`): a receiver's writes commit or roll back with the change, and its error
refuses the change instead of passing unseen."""

from django.dispatch import Signal

# A project's dates or state changed (a transition, an edit, a revert): kwargs project.
project_changed = Signal()
# Many projects at once (the ledger import), in a fixed number of queries: kwargs project_ids.
projects_changed = Signal()
# Section 7's closed loop. 交办: problem, by_unit_id (a unit raising its own problem is not told).
problem_assigned = Signal()
# 答复: problem, reply_key (names this one reply), text, unit_name.
problem_replied = Signal()
# 批示: instruction.
problem_instructed = Signal()
# 办结: problem.
problem_resolved = Signal()
