from django.urls import path

from . import api, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("compliance/", views.compliance_page, name="compliance"),
    path("reports/", views.reports_page, name="reports"),
    path("reports/<str:report>.<str:fmt>", views.report_download, name="report_download"),
    path("api/reports/1330/", api.Report1330View.as_view(), name="api_report_1330"),
    path("api/reports/compliance/", api.ReportComplianceView.as_view(), name="api_report_compliance"),
    path("api/reports/factors/", api.ReportFactorsView.as_view(), name="api_report_factors"),
]
