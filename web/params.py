"""Query parameters: `BadParameter` and the parsers that know no rule of the product (ids, pages,
the list filters); projects.params parses the dates and years against the product's date window.

A value that cannot be used is refused with a Chinese 400 (`BadParameter`), never silently replaced
and never passed on to fail deeper down: `?year=99999` used to reach date arithmetic and answer 500.
Pages get the 400 page (web.errors), the API a JSON 400 (web.drf.exception_handler).
"""

from django.core.exceptions import BadRequest


class BadParameter(BadRequest):
    """A query parameter that cannot be used; its message is Chinese and shown to the user."""


def id_param(params, name, *, maximum=2**63 - 1) -> int | None:
    """A row id (`?leader=3`), or None when absent."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise BadParameter(f"参数 {name} 应为正整数编号")
    return int(raw)


def page_param(params, name="page") -> int:
    return id_param(params, name, maximum=1_000_000) or 1


def check_filter(filterset):
    """The 台账 filters (projects.forms.ProjectFilter): an unusable value is a 400 saying which."""
    if filterset.is_bound and not filterset.is_valid():
        problems = [f"{filterset.form.fields[name].label}：{'；'.join(errors)}" if name in filterset.form.fields
                    else "；".join(errors) for name, errors in filterset.errors.items()]
        raise BadParameter("筛选条件有误：" + "；".join(problems))
    return filterset
