"""auditlog's own migrations create auditlog_logentry even though AUDITLOG_LOGENTRY_MODEL swaps it for
audit.AuditEntry. Nothing uses it, and its foreign key to auth_user makes PostgreSQL refuse the
TRUNCATE of a test flush (transactional tests), so it goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_evidence_triggers"),
        ("auditlog", "0017_add_actor_email"),
    ]

    operations = [migrations.RunSQL("DROP TABLE IF EXISTS auditlog_logentry", migrations.RunSQL.noop)]
