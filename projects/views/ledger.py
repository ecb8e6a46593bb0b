"""Upload a whole Excel ledger (DOMAIN.md section 9's import, all or nothing) from the browser.

Issue 9: an upload is always checked first (a dry run); when it passes, the checked file is kept on
the server (projects.ledger_uploads) and the page offers 确认导入 with what will change per
project, so the user neither picks the file again nor unticks a box.
"""

import io

from django import forms
from django.shortcuts import render

from .. import ledger_uploads, selectors
from ..models import Project
from ..permissions import role_required

LEDGER_EXTENSIONS = (".xlsx", ".xls", ".csv")


class LedgerUploadForm(forms.Form):
    file = forms.FileField(label="台账文件（.xlsx、.xls 或 .csv）",
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.csv"}),
                           error_messages={"required": "请选择要上传的台账文件", "empty": "上传的文件是空的"})
    create_missing = forms.BooleanField(label="自动新建未知的责任单位和联系市领导（所在平台总是自动新建）", required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(LEDGER_EXTENSIONS):
            raise forms.ValidationError("请上传 .xlsx、.xls 或 .csv 格式的台账文件")
        # What the content is (an .xls saved under .xlsx by WPS, a CSV) the import tells from its
        # bytes, and says in Chinese when it cannot read it.
        return upload.read()


class ConfirmForm(forms.Form):
    digest = forms.CharField(max_length=64, min_length=64)
    create_missing = forms.BooleanField(required=False)


# A province's ledger changes 10,000 projects at once: the page lists the first ones (the counts
# are in the summary above the list), and the first errors, so that it stays a page (issue 12).
LISTED_CHANGES = 500
LISTED_ERRORS = LISTED_NOTES = 1000


def changes(result) -> list[dict]:
    """新增/更新/无变化 per project with its name, the first LISTED_CHANGES: the stored name, or for a
    new project the sheet's (one query)."""
    listed = [*((code, "新增") for code in result.created), *((code, "更新") for code in result.updated),
              *((code, "无变化") for code in result.unchanged)][:LISTED_CHANGES]
    codes = [code for code, _ in listed if code not in result.new_names]
    names = {**result.new_names, **dict(Project.objects.filter(code__in=codes).values_list("code", "name"))}
    return [{"code": code, "name": names.get(code, ""), "change": change} for code, change in listed]


def _listed(result):
    """The context for the result's lists: the first changes and errors, and how many are left out."""
    changed = len(result.created) + len(result.updated) + len(result.unchanged)
    return {"summary": result.summary(notes=False),
            "changes": changes(result), "changes_total": changed,
            "changes_unlisted": max(changed - LISTED_CHANGES, 0),
            "errors": result.errors[:LISTED_ERRORS], "errors_unlisted": max(len(result.errors) - LISTED_ERRORS, 0),
            **_listed_notes(result)}


def _listed_notes(result):
    """The first LISTED_NOTES notes, and every note of a skipped row wherever it stands (section 9:
    every skipped row is reported), in file order."""
    skipped, listed, others = set(result.skipped), [], 0
    for note in result.notes:
        if note in skipped or others < LISTED_NOTES:
            listed.append(note)
            others += note not in skipped
    return {"notes": listed, "notes_unlisted": len(result.notes) - len(listed)}


@role_required(selectors.can_edit)
def ledger_import(request):
    from ..ledger import import_ledger

    context = {"form": LedgerUploadForm(), "result": None}
    if request.method == "POST" and "digest" in request.POST:
        confirm = ConfirmForm(request.POST)
        content = confirm.is_valid() and ledger_uploads.load(user=request.user, digest=confirm.cleaned_data["digest"])
        if not content:
            context["expired"] = True
        else:
            create_missing = confirm.cleaned_data["create_missing"]
            result = import_ledger(path_or_file=io.BytesIO(content), create_missing=create_missing, user=request.user)
            if result.ok:
                ledger_uploads.discard(user=request.user, digest=confirm.cleaned_data["digest"])
            context.update(result=result, **_listed(result))
    elif request.method == "POST":
        form = LedgerUploadForm(request.POST, request.FILES)
        context["form"] = form
        if form.is_valid():
            content, create_missing = form.cleaned_data["file"], form.cleaned_data["create_missing"]
            result = import_ledger(path_or_file=io.BytesIO(content), create_missing=create_missing, dry_run=True,
                                   user=request.user)
            context.update(result=result, **_listed(result), create_missing=create_missing,
                           file_name=request.FILES["file"].name)
            if result.ok:
                context["digest"] = ledger_uploads.keep(user=request.user, content=content)
    failed = context.get("expired") or context["form"].errors or (context["result"] and context["result"].errors)
    status = 400 if failed else 200
    if context["result"] and context["result"].busy:
        status = 409  # nothing wrong with the file: another import was running
    return render(request, "projects/import.html", context, status=status)
