"""The nodes in the REST API: the overdue list (DOMAIN.md section 9) and 要素保障 (section 11), with
the scope and permissions of the pages: every queryset starts from projects.selectors, every write
goes through milestones.factor_services."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.renderers import BrowsableAPIRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from projects import selectors
from projects.models import Project
from projects.params import as_of_param
from projects.permissions import HasRole
from web.api import service_errors
from web.renderers import FastJSONRenderer

from . import factor_services
from . import selectors as node_selectors
from .factor_selectors import FactorStatus, annotate_needs
from .models import NODE_ORDER, FactorNeed, FactorSecured, FactorType


class FactorSecuredSerializer(serializers.ModelSerializer):
    by = serializers.CharField(source="by.username", allow_null=True, default=None, read_only=True)

    class Meta:
        model = FactorSecured
        fields = ["amount", "secured_on", "document", "by", "at"]
        read_only_fields = ["at"]


class FactorNeedSerializer(serializers.ModelSerializer):
    """A need as of the request's `as_of`: `needed_by` is the date in force (set by hand, else the
    node's planned date), `status` one of secured / at_risk / overdue / open / inactive."""

    project = serializers.SlugRelatedField(slug_field="code", queryset=Project.objects.all())
    type_label = serializers.CharField(source="get_factor_type_display", read_only=True)
    gap = serializers.DecimalField(max_digits=18, decimal_places=4, read_only=True)
    needed_by = serializers.DateField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=list(FactorStatus.LABELS), read_only=True)
    responsible_unit = serializers.CharField(source="responsible_unit.name", read_only=True, allow_null=True,
                                             default=None)
    records = FactorSecuredSerializer(many=True, read_only=True)

    class Meta:
        model = FactorNeed
        fields = ["id", "project", "factor_type", "type_label", "needed", "secured", "gap", "needed_by",
                  "needed_by_set", "status", "responsible_unit", "records"]
        read_only_fields = ["secured"]
        extra_kwargs = {"needed_by_set": {"help_text": "手工设定的需保障日期；不填则跟随节点计划日期"}}
        # One need per (project, type) is enforced by need_set, which updates the existing one.
        validators = []


class NeededBySerializer(serializers.Serializer):
    needed_by = serializers.DateField(allow_null=True, help_text="null：恢复跟随节点计划日期")


class FactorNeedViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                        viewsets.GenericViewSet):
    """The needs in the caller's scope (`type`, `status` and `as_of` filter the list). POST states or
    changes a project's need (the center); `secured` records an increase (the center or the need's
    unit); `needed-by` sets or clears the date set by hand (the center)."""

    serializer_class = FactorNeedSerializer
    permission_classes = [HasRole]

    def get_queryset(self):
        needs = annotate_needs(selectors.visible_factor_needs(self.request.user), as_of=as_of_param(self.request))
        params = self.request.query_params
        if params.get("type") in FactorType.values:
            needs = needs.filter(factor_type=params["type"])
        if params.get("status") in FactorStatus.LABELS:
            needs = needs.filter(status=params["status"])
        return needs.select_related("project", "responsible_unit").prefetch_related("records__by").order_by(
            "needed_by", "project__code", "type_order")

    @extend_schema(parameters=[
        OpenApiParameter("as_of", OpenApiTypes.DATE), OpenApiParameter("type", str, enum=FactorType.values),
        OpenApiParameter("status", str, enum=list(FactorStatus.LABELS)),
    ])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    def _present(self, need, code=status.HTTP_200_OK):
        return Response(self.get_serializer(self.get_queryset().get(pk=need.pk)).data, status=code)

    def create(self, request, *args, **kwargs):
        if not selectors.can_plan_needs(request.user):
            raise PermissionDenied("只有招商中心可以登记要素需求")
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        if not selectors.visible_projects(request.user).filter(pk=data["project"].pk).exists():
            raise PermissionDenied("无权操作该项目")
        try:
            need = factor_services.need_set(project=data["project"], factor_type=data["factor_type"],
                                            needed=data["needed"], needed_by=data.get("needed_by_set"))
        except DjangoValidationError as exc:
            raise service_errors(exc) from exc
        return self._present(need, status.HTTP_201_CREATED)

    @extend_schema(request=FactorSecuredSerializer, responses={200: FactorNeedSerializer, 400: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"])
    def secured(self, request, pk=None):
        """Record an increase of the secured amount (amount > 0, a date not in the future, a document)."""
        need = self.get_object()
        if not selectors.can_secure_need(request.user, need):
            raise PermissionDenied("只有招商中心和该要素的责任单位可以登记保障")
        body = FactorSecuredSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            factor_services.need_record_secured(need=need, user=request.user, **body.validated_data)
        except DjangoValidationError as exc:
            raise service_errors(exc) from exc
        return self._present(need)

    @extend_schema(request=NeededBySerializer, responses={200: FactorNeedSerializer})
    @action(detail=True, methods=["post"], url_path="needed-by")
    def needed_by(self, request, pk=None):
        need = self.get_object()
        if not selectors.can_plan_needs(request.user):
            raise PermissionDenied("只有招商中心可以设定需保障日期")
        body = NeededBySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        factor_services.need_set_needed_by(need=need, needed_by=body.validated_data["needed_by"])
        return self._present(need)


class OverdueRowSerializer(serializers.Serializer):
    """The schema of one overdue row (DOMAIN.md section 9); the rows themselves are plain dicts."""

    project = serializers.CharField()
    node = serializers.ChoiceField(choices=NODE_ORDER)
    planned_date = serializers.DateField()
    overdue_days = serializers.IntegerField()
    light = serializers.ChoiceField(choices=["red", "yellow"])
    responsible_unit = serializers.CharField(allow_null=True)
    contact_leader = serializers.CharField(allow_null=True)


class OverdueView(APIView):
    """DOMAIN.md section 9's overdue list, limited to the caller's projects: 18,612 rows at 100,000
    projects, encoded by web.renderers.FastJSONRenderer (issue 12)."""

    permission_classes = [HasRole]
    renderer_classes = [FastJSONRenderer, BrowsableAPIRenderer]

    @extend_schema(parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE)],
                   responses={200: OverdueRowSerializer(many=True)})
    def get(self, request):
        scope = None if selectors.sees_all_projects(request.user) else selectors.visible_projects(request.user)
        return Response(node_selectors.overdue_rows(as_of=as_of_param(request), projects=scope))
