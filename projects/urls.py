from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import api
from .views import ledger, problems, projects

router = SimpleRouter()
router.register("projects", api.ProjectViewSet, basename="api-project")

urlpatterns = [
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
    path("problems/", problems.problem_list, name="problem_list"),
    path("problems/<int:pk>/<str:action>/", problems.problem_action, name="problem_action"),
    path("api/", include(router.urls)),
]
