"""Which models are audited, and which of their fields (issue 8 §2). Each app names its own in
its AppConfig.ready (projects.apps, milestones.apps): the audit knows no app above it."""

from auditlog.registry import auditlog


def audit(model, *, exclude=()):
    """Put every create, change and delete of `model` on the record, except the `exclude` columns
    (bookkeeping that changes with every save or is the system's own, not anyone's edit)."""
    # auditlog's diff of a new object walks every field, reverse relations included (a "nodes"
    # entry reading "milestones.Node.None"): only the object's own columns are its data.
    reverse = [f.name for f in model._meta.get_fields() if not f.concrete]
    auditlog.register(model, exclude_fields=["id", *exclude, *reverse])
