from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from rest_framework.routers import SimpleRouter

from accounts.api import ObtainTokenView, RevokeTokenView

from . import api, api_factors
from .views import compliance, dashboard, factors, inbox, ledger, problems, projects, reports

router = SimpleRouter()
router.register("projects", api.ProjectViewSet, basename="api-project")
router.register("factors", api_factors.FactorNeedViewSet, basename="api-factor")

api_urls = [
    path("auth/token/", ObtainTokenView.as_view(), name="api_token"),
    path("auth/token/revoke/", RevokeTokenView.as_view(), name="api_token_revoke"),
    path("overdue/", api.OverdueView.as_view(), name="api_overdue"),
    path("reports/1330/", api.Report1330View.as_view(), name="api_report_1330"),
    path("reports/compliance/", api.ReportComplianceView.as_view(), name="api_report_compliance"),
    path("reports/factors/", api_factors.ReportFactorsView.as_view(), name="api_report_factors"),
    path("", include(router.urls)),
]

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="registration/login.html",
                                                redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(
        template_name="registration/password_change.html", success_url=reverse_lazy("password_changed")),
        name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(
        template_name="registration/password_changed.html"), name="password_changed"),
    path("", dashboard.dashboard, name="dashboard"),
    path("projects/", projects.project_list, name="project_list"),
    path("projects/export.xlsx", projects.project_export, name="project_export"),
    path("projects/new/", projects.project_new, name="project_new"),
    path("projects/import/", ledger.ledger_import, name="ledger_import"),
    path("projects/<str:code>/", projects.project_detail, name="project_detail"),
    path("projects/<str:code>/edit/", projects.project_edit, name="project_edit"),
    path("projects/<str:code>/transitions/<str:name>/", projects.project_transition_view,
         name="project_transition"),
    path("projects/<str:code>/revert/", projects.project_revert_view, name="project_revert"),
    path("projects/<str:code>/notes/", projects.project_note_add, name="project_note_add"),
    path("projects/<str:code>/capacity-review/", projects.project_capacity_review, name="project_capacity_review"),
    path("projects/<str:code>/problems/", problems.problem_new, name="problem_new"),
    path("my/contacts/", projects.my_contacts, name="my_contacts"),
    path("my/nodes/", projects.my_nodes, name="my_nodes"),
    path("problems/", problems.problem_list, name="problem_list"),
    path("problems/<int:pk>/<str:action>/", problems.problem_action, name="problem_action"),
    path("factors/", factors.factor_list, name="factor_list"),
    path("factors/needs/", factors.factor_need_set, name="factor_need_set"),
    path("factors/<int:pk>/secured/", factors.factor_secure, name="factor_secure"),
    path("factors/<int:pk>/needed-by/", factors.factor_needed_by, name="factor_needed_by"),
    path("inbox/", inbox.inbox, name="inbox"),
    path("inbox/read/", inbox.inbox_read, name="inbox_read_all"),
    path("inbox/<int:pk>/read/", inbox.inbox_read, name="inbox_read"),
    path("compliance/", compliance.compliance_page, name="compliance"),
    path("reports/", reports.reports_page, name="reports"),
    path("reports/<str:report>.<str:fmt>", reports.report_download, name="report_download"),
    path("api/", include(api_urls)),
]
