"""The reports page: download the 1330 progress, the bulletin and a leader's report (PDF / Excel).

The numbers and the files come from the reports app; this only picks the year, date and format.
"""

import datetime

from django.http import Http404
from django.shortcuts import get_object_or_404, render

from .. import selectors
from ..models import local_today
from ..permissions import role_required
from .common import PDF, XLSX, file_response


def _as_of(request):
    try:
        return datetime.date.fromisoformat(request.GET.get("as_of", ""))
    except ValueError:
        return local_today()


def _year(request, as_of):
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return as_of.year
    return year if 2000 <= year <= 2100 else as_of.year


@role_required(selectors.can_see_reports)
def reports_page(request):
    as_of = _as_of(request)
    year = _year(request, as_of)
    return render(request, "projects/reports.html", {
        "as_of": as_of, "year": year, "years": range(as_of.year, as_of.year - 6, -1),
        "leaders": selectors.visible_leaders(request.user),
    })


@role_required(selectors.can_see_reports)
def report_download(request, report, fmt):
    from reports import bulletin, factors, pdf, xlsx

    if fmt not in ("pdf", "xlsx"):
        raise Http404("无此格式")
    as_of = _as_of(request)
    year = _year(request, as_of)
    stamp = f"{as_of:%Y%m%d}"
    if report == "1330":
        name = f"1330进度_{year}年_截至{stamp}"
        content = (pdf.progress_1330_pdf if fmt == "pdf" else xlsx.progress_1330_xlsx)(year=year, as_of=as_of)
    elif report == "bulletin":
        name = f"重大项目通报_{stamp}"
        content = (bulletin.bulletin_pdf if fmt == "pdf" else xlsx.bulletin_xlsx)(as_of=as_of)
    elif report == "compliance":
        name = f"标准地达产复核_{stamp}"
        content = (pdf.compliance_pdf if fmt == "pdf" else xlsx.compliance_xlsx)(as_of=as_of)
    elif report == "factors":
        name = f"要素保障_截至{stamp}"
        content = (factors.factors_pdf if fmt == "pdf" else xlsx.factors_xlsx)(as_of=as_of)
    elif report == "leader":
        leader = get_object_or_404(selectors.visible_leaders(request.user), pk=request.GET.get("leader") or 0)
        name = f"联系项目报告_{leader.name}_{stamp}"
        render_file = pdf.leader_report_pdf if fmt == "pdf" else xlsx.leader_report_xlsx
        content = render_file(leader=leader, as_of=as_of)
    else:
        raise Http404("无此报表")
    return file_response(content, f"{name}.{fmt}", PDF if fmt == "pdf" else XLSX)
