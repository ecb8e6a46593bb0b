"""Session upkeep that comes after the view."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

REFRESHED_AT = "_refreshed_at"


def refresh_session(get_response):
    """Keep a logged-in session alive while it is used: its expiry (SESSION_COOKIE_AGE, the idle
    timeout) moves forward when the last move is SESSION_REFRESH_SECONDS old. Saving it on every
    request, as SESSION_SAVE_EVERY_REQUEST does, cost each page view a write and a commit."""

    def middleware(request):
        response = get_response(request)
        session = getattr(request, "session", None)
        if session is not None and not session.modified and SESSION_KEY in session:
            now = int(time.time())
            if now - session.get(REFRESHED_AT, 0) >= settings.SESSION_REFRESH_SECONDS:
                session[REFRESHED_AT] = now  # marks it modified: SessionMiddleware saves it, expiry and cookie
        return response

    return middleware


@receiver(user_logged_in)
def note_login_as_refresh(sender, request, user, **kwargs):
    """A login writes the session with a full expiry: the requests of the next minute need not."""
    if request is not None and hasattr(request, "session"):
        request.session[REFRESHED_AT] = int(time.time())
