"""Template helpers of the project pages: the role-aware navigation (roles are projects') and a
problem's thread."""

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe

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


PROJECT_ROW = (
    '<tr class="is-{}">'
    '<td><a class="title" href="{}">{}</a><div class="meta"><span class="mono">{}</span> · {}</div></td>'
    '<td data-label="状态"><span class="status s-{}">{}</span></td>'
    '<td data-label="灯">{}</td>'
    '<td data-label="总投资" class="num">{}</td>'
    '<td data-label="签约日期" class="nowrap">{}</td>'
    '<td data-label="产业集群">{}</td>'
    '<td data-label="责任单位">{}{}</td>'
    '<td data-label="联系市领导">{}</td>'
    "</tr>"
)
NO_PROJECT_ROW = '<tr><td colspan="8" class="empty">没有符合条件的项目</td></tr>'


@register.simple_tag
def project_rows(projects):
    """The 台账's table rows (projects annotated with their light, milestones.selectors.annotate_light).
    Written here rather than as a loop in the template: the template's variable lookups and filters
    for 50 rows were a third of the 台账's time (issue 12's page mix)."""
    from web.templatetags.web import light, money

    rows = [
        format_html(
            PROJECT_ROW,
            project.light or "none", reverse("project_detail", args=[project.code]), project.name, project.code,
            project.investor, project.status, project.get_status_display(),
            light(project.light, project.max_overdue_days), money(project),
            f"{project.signing_date:%Y-%m-%d}" if project.signing_date else "—",
            project.cluster or "—", project.responsible_unit or "—",
            format_html('<div class="meta">{}</div>', project.platform) if project.platform else "",
            project.contact_leader or "—",
        )
        for project in projects
    ]
    return mark_safe("\n".join(rows) if rows else NO_PROJECT_ROW)
