from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

admin.site.site_header = "嵊州重大项目全周期管理 · 系统管理"
admin.site.site_title = "嵊州重大项目管理"
admin.site.index_title = "系统管理"

# Chinese error pages, JSON under /api/ (web.errors).
handler400 = "web.errors.bad_request"
handler403 = "web.errors.permission_denied"
handler404 = "web.errors.page_not_found"
handler500 = "web.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    # Each app its own pages and API; every address is the one it has always been (issue 9).
    path("", include("accounts.urls")),
    path("", include("reports.urls")),
    path("", include("projects.urls")),
    path("", include("milestones.urls")),
    path("", include("notifications.urls")),
]
