from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api, views

router = SimpleRouter()
router.register("factors", api.FactorNeedViewSet, basename="api-factor")

urlpatterns = [
    path("my/nodes/", views.my_nodes, name="my_nodes"),
    path("factors/", views.factor_list, name="factor_list"),
    path("factors/needs/", views.factor_need_set, name="factor_need_set"),
    path("factors/<int:pk>/secured/", views.factor_secure, name="factor_secure"),
    path("factors/<int:pk>/needed-by/", views.factor_needed_by, name="factor_needed_by"),
    path("api/overdue/", api.OverdueView.as_view(), name="api_overdue"),
    path("api/", include(router.urls)),
]
