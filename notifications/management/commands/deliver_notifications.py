"""`python manage.py deliver_notifications [--sweep]`: deliver the due pending outbox rows in this
process (no broker needed), or with --sweep hand them to the broker like the periodic task."""

from django.core.management.base import BaseCommand

from notifications import services


class Command(BaseCommand):
    help = "发送待发送的消息"

    def add_arguments(self, parser):
        parser.add_argument("--sweep", action="store_true", help="交给 Celery 队列发送，而不是在本进程发送")

    def handle(self, *args, sweep=False, **options):
        if sweep:
            self.stdout.write(f"已加入队列 {services.sweep_pending()} 条")
            return
        outcomes = services.deliver_pending_now()
        self.stdout.write("，".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "没有待发送的消息")
