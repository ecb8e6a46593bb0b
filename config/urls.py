from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

admin.site.site_header = "嵊州重大项目全周期管理 · 系统管理"
admin.site.site_title = "嵊州重大项目管理"
admin.site.index_title = "系统管理"

# Chinese error pages, JSON under /api/ (projects.views.errors).
handler400 = "projects.views.errors.bad_request"
handler403 = "projects.views.errors.permission_denied"
handler404 = "projects.views.errors.page_not_found"
handler500 = "projects.views.errors.server_error"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api_schema"),
    path("", include("projects.urls")),
]
