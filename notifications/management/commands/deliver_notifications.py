"""`python manage.py deliver_notifications [--all] [--sweep]`: deliver the due pending outbox rows
in this process (no broker needed), or with --sweep hand them to the broker like the periodic task.
Rows just written wait SWEEP_GRACE for the broker; --all sends those too."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from notifications import selectors, services

OUTCOME_LABELS = {"sent": "已发送", "retry": "发送失败、稍后重试", "failed": "发送失败、不再重试", "skipped": "已由其他进程处理"}


class Command(BaseCommand):
    help = "发送待发送的消息"

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true",
                            help="连同刚写入、尚在等待队列的消息一起立即发送（不等 2 分钟宽限期）")
        parser.add_argument("--sweep", action="store_true", help="交给 Celery 队列发送，而不是在本进程发送")

    def handle(self, *args, sweep=False, all=False, **options):
        if sweep:
            self.stdout.write(f"已加入队列 {services.sweep_pending()} 条")
            return
        now = timezone.now()
        outcomes = services.deliver_pending_now(now=now + services.SWEEP_GRACE if all else now)
        done = "，".join(f"{OUTCOME_LABELS.get(k, k)} {v} 条" for k, v in sorted(outcomes.items()))
        self.stdout.write(done or "没有到期待发送的消息")
        later = selectors.waiting(now=timezone.now())
        if later["count"]:
            first = timezone.localtime(later["first_at"])
            self.stdout.write(
                f"另有 {later['count']} 条等待发送，最早一条将于 {first:%Y-%m-%d %H:%M:%S} 由队列或定时任务发送"
                f"（刚写入的消息先留给队列 {int(services.SWEEP_GRACE.total_seconds() // 60)} 分钟；"
                f"失败的按间隔重试）；如需现在发送，请加 --all"
            )
