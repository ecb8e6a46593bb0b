"""A password change or a deactivation revokes the user's API tokens (sessions already end on both:
Django checks the password hash in the session, and refuses inactive users)."""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from .tokens import revoke_tokens


@receiver(pre_save, sender=get_user_model())
def note_credentials_change(sender, instance, update_fields=None, **kwargs):
    instance._revoke_tokens = False
    if instance.pk is None or (update_fields is not None and not {"password", "is_active"} & set(update_fields)):
        return  # e.g. the last_login update on every login
    before = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if before is not None:
        instance._revoke_tokens = (
            before["password"] != instance.password or (before["is_active"] and not instance.is_active)
        )


@receiver(post_save, sender=get_user_model())
def revoke_tokens_after_credentials_change(sender, instance, created, **kwargs):
    if getattr(instance, "_revoke_tokens", False):
        revoke_tokens(instance)
