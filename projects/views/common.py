"""The unit user's 本单位 / 全部 switch, which the pages of every app share."""

from .. import selectors
from ..cache import cached_count


def own_scope(request) -> bool:
    """Issue 9: a unit user's pages open on its own work; `?scope=all` shows all it may see."""
    return selectors.opens_on_own_scope(request.user) and request.GET.get("scope") != "all"


def scope_switch(request, *, own, everything) -> dict | None:
    """What the 本单位 / 全部 switch shows a unit user: which is on, and how many each holds
    (`own` and `everything` give the querysets; two counts, cached until the data change). None for
    other roles."""
    if not selectors.opens_on_own_scope(request.user):
        return None
    return {"own": own_scope(request), "own_count": cached_count(own()), "all_count": cached_count(everything())}
