"""Template helpers of the project pages: the role-aware navigation (roles are projects') and a
problem's thread."""

from django import template

from projects import selectors
from projects.models import Role

register = template.Library()

NAV = [
    # (url name, label, roles that see it; None = everyone with a role)
    ("dashboard", "工作台", None),
    ("project_list", "项目台账", None),
    ("my_contacts", "我联系的项目", (Role.LEADER,)),
    ("my_nodes", "我的节点", (Role.UNIT,)),
    ("problem_list", "问题协调", None),
    ("compliance", "标准地达产", None),
    ("factor_list", "要素保障", None),
    ("reports", "报表", (Role.CENTER, Role.LEADER, Role.ADMIN)),
]


@register.inclusion_tag("includes/nav.html", takes_context=True)
def main_nav(context):
    request = context["request"]
    user = request.user
    role = selectors.user_role(user)
    current = getattr(request.resolver_match, "url_name", "")
    items = [
        {"name": name, "label": label, "active": current == name}
        for name, label, roles in NAV
        if role is not None and (roles is None or role in roles)
        and not (name == "my_contacts" and selectors.user_leader(user) is None)
    ]
    return {
        "items": items,
        "user": user,
        "role_label": Role(role).label if role else "",
        "unit": selectors.user_unit(user),
        # notifications.context_processors.inbox puts the count in every page's context.
        "unread": context.get("unread_count", 0) if role else 0,
        "is_admin": user.is_staff,
        "inbox_active": current == "inbox",
    }


@register.filter
def thread(problem):
    """A problem's replies, 批示 and 办结 in time order (projects.selectors.problem_thread)."""
    return selectors.problem_thread(problem)
