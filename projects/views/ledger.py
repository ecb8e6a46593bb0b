"""Upload a whole Excel ledger (DOMAIN.md section 9's import, all or nothing) from the browser."""

from django import forms
from django.shortcuts import render

from .. import selectors
from ..permissions import role_required


class LedgerUploadForm(forms.Form):
    file = forms.FileField(label="台账文件（.xlsx）", widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}))
    dry_run = forms.BooleanField(label="仅检查，不写入（试运行）", required=False, initial=True)
    create_missing = forms.BooleanField(label="自动新建未知的责任单位和联系市领导（所在平台总是自动新建）", required=False)


@role_required(selectors.can_edit)
def ledger_import(request):
    from ..ledger import import_ledger

    form = LedgerUploadForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if not data["file"].name.lower().endswith(".xlsx"):
            form.add_error("file", "请上传 .xlsx 格式的台账文件")
        else:
            result = import_ledger(path_or_file=data["file"], create_missing=data["create_missing"],
                                   dry_run=data["dry_run"], user=request.user)
    status = 400 if (form.errors or (result and result.errors)) else 200
    if result and result.busy:
        status = 409  # nothing wrong with the file: another import was running
    return render(request, "projects/import.html", {"form": form, "result": result}, status=status)
