"""The REST API (issue 5). Same scope and permissions as the pages: every queryset starts from
projects.selectors, every write goes through projects.services.

Out-of-scope objects are absent from the queryset, so they answer 404; an in-scope object the user
may not change answers 403.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from django_fsm import ConcurrentTransition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response

from milestones import selectors as node_selectors
from milestones.models import NODE_ORDER, NodeType
from web.api import service_errors
from web.drf import PageNumberPagination

from . import compliance, selectors
from .cache import CachedCountPaginator
from .forms import ProjectFilter
from .models import Leader, Platform, Project, Status, Transition, Unit, local_today
from .permissions import CanEditProjects
from .services import (
    TRANSITION_FIELDS,
    EditConflict,
    TransitionConflict,
    TransitionRefused,
    capacity_review,
    project_create,
    project_transition,
    project_update,
    project_version,
)
from .validation import TEXT_MAX_LENGTH

# --- serializers ---------------------------------------------------------------------------------


class StrictFieldsMixin:
    """Refuse body keys the serializer does not write (unknown, or read-only such as `status`):
    ignoring them silently let a client believe it had changed a project's state."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            refused = sorted(str(key) for key in data if key not in writable)
            if refused:
                raise ApiValidationError({key: ["不能写入该字段（未知或只读）"] for key in refused})
        return super().to_internal_value(data)



@extend_schema_field(OpenApiTypes.STR)
class LabelField(serializers.ReadOnlyField):
    """A choice's label, as the model's get_FOO_display gives it, read from the choices: with the
    display method as the source DRF inspected its signature for every row (a third of the API
    list's serializing, issue 12)."""

    def __init__(self, choices, **kwargs):
        self.labels = {value: str(label) for value, label in choices.choices}
        super().__init__(**kwargs)

    def to_representation(self, value):
        return self.labels.get(value, value)


class NodeSerializer(serializers.Serializer):
    node_type = serializers.CharField()
    label = LabelField(NodeType, source="node_type")
    planned_date = serializers.DateField(allow_null=True)
    planned_is_agreed = serializers.BooleanField()
    actual_date = serializers.DateField(allow_null=True)
    responsible_unit = serializers.CharField(source="responsible_unit.name", allow_null=True, default=None)


class VersionField(serializers.IntegerField):
    """services.project_version: read it with the project, send it back with a PATCH (or as
    `If-Match`); a project saved by someone else meanwhile answers 409 instead of losing their change."""

    def __init__(self, **kwargs):
        super().__init__(source="*", required=False, **kwargs)

    def to_representation(self, project):
        return project_version(project)

    def to_internal_value(self, data):
        return {"version": super().to_internal_value(data)}


class ProjectSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    """What a project looks like to API clients; units, leaders and platforms by name (as the ledger)."""

    responsible_unit = serializers.SlugRelatedField(slug_field="name", queryset=Unit.objects.all(),
                                                    allow_null=True, required=False)
    contact_leader = serializers.SlugRelatedField(slug_field="name", queryset=Leader.objects.all(),
                                                  allow_null=True, required=False)
    platform = serializers.SlugRelatedField(slug_field="name", queryset=Platform.objects.all(),
                                            allow_null=True, required=False)
    status_label = LabelField(Status, source="status")
    light = serializers.CharField(read_only=True, allow_null=True, default=None)
    max_overdue_days = serializers.IntegerField(read_only=True, allow_null=True, default=None)
    signing_date = serializers.DateField(required=False, allow_null=True)
    planned_dates = serializers.DictField(child=serializers.DateField(allow_null=True), required=False,
                                          write_only=True, help_text="约定的计划日期 {land|start|statistics|production|capacity: 日期}")
    version = VersionField(help_text="版本号：读取项目时得到，修改（PATCH）时原样带回（或放在 If-Match 头中）；"
                                     "其间项目已被他人修改则返回 409，不覆盖对方的修改")

    class Meta:
        model = Project
        fields = [
            "code", "name", "investor", "total_investment", "currency", "is_manufacturing", "cluster", "source",
            "channel", "platform", "responsible_unit", "contact_leader", "needs_new_land", "land_area",
            "signing_date", "stats_code", "remark", "status", "status_label", "light", "max_overdue_days",
            "suspended_on", "status_reason", "last_event_date", "planned_dates", "version",
            *compliance.AGREED_FIELDS, *compliance.REVIEW_FIELDS,
        ]
        # The 达产复核 values are recorded by POST …/capacity-review/ (or with reach_capacity).
        read_only_fields = ["status", "suspended_on", "status_reason", "last_event_date", *compliance.REVIEW_FIELDS]
        # Model validators (unique code …) run once, in the service's full_clean.
        extra_kwargs = {"code": {"validators": []}}

    def validate_planned_dates(self, value):
        unknown = set(value) - set(NODE_ORDER) - {NodeType.SIGN}
        if unknown:
            raise serializers.ValidationError(f"未知的节点：{'、'.join(sorted(unknown))}")
        return value


class IndicatorSerializer(serializers.Serializer):
    label = serializers.CharField()
    unit = serializers.CharField()
    agreed = serializers.DecimalField(max_digits=24, decimal_places=4, coerce_to_string=False)
    actual = serializers.DecimalField(max_digits=24, decimal_places=4, coerce_to_string=False, allow_null=True)
    met = serializers.BooleanField(allow_null=True)
    shortfall = serializers.DecimalField(max_digits=24, decimal_places=4, coerce_to_string=False, allow_null=True)


class ComplianceSerializer(serializers.Serializer):
    """Section 10: the project's verdict (达标 true / 未达标 false / 未复核 null) and each agreed indicator."""

    met = serializers.BooleanField(allow_null=True)
    verdict = serializers.CharField()
    indicators = serializers.DictField(child=IndicatorSerializer(),
                                       help_text="investment_intensity|tax_per_mu|output_per_mu|plot_ratio|energy_per_output")


class ProjectDetailSerializer(ProjectSerializer):
    nodes = serializers.SerializerMethodField()
    compliance = serializers.SerializerMethodField()

    class Meta(ProjectSerializer.Meta):
        fields = ProjectSerializer.Meta.fields + ["nodes", "compliance"]

    @extend_schema_field(NodeSerializer(many=True))
    def get_nodes(self, project):
        nodes = sorted(project.nodes.all(), key=lambda n: NODE_ORDER.index(n.node_type))
        return NodeSerializer(nodes, many=True).data

    @extend_schema_field(ComplianceSerializer)
    def get_compliance(self, project):
        return ComplianceSerializer(project.compliance_check()).data


class CapacityReviewSerializer(serializers.Serializer):
    """达产复核 (section 10): the recorded values; a field left out keeps its value, null clears it."""

    reviewed_on = serializers.DateField(help_text="复核日期")
    actual_fixed_investment = serializers.DecimalField(18, 4, required=False, allow_null=True,
                                                       help_text="固定资产投资（万元）")
    actual_yearly_tax = serializers.DecimalField(18, 4, required=False, allow_null=True, help_text="年税收（万元）")
    actual_yearly_output = serializers.DecimalField(18, 4, required=False, allow_null=True, help_text="年产值（万元）")
    actual_plot_ratio = serializers.DecimalField(18, 4, required=False, allow_null=True, help_text="容积率")
    actual_energy_per_output = serializers.DecimalField(18, 4, required=False, allow_null=True,
                                                        help_text="单位能耗（吨标煤/万元）")


class TransitionSerializer(StrictFieldsMixin, serializers.Serializer):
    effective_date = serializers.DateField(help_text="事件实际发生日期")
    fields = serializers.DictField(required=False, default=dict,
                                   help_text="该操作可同时填写的字段，如供地的 land_area、入库的 stats_code")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX_LENGTH)
    # A plain string (not a second enum of the status choices): any other value simply conflicts.
    expected_status = serializers.CharField(required=False, allow_null=True,
                                            help_text="乐观并发：项目须仍处于该状态（status 的取值），否则 409")


class EditConflictSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="已被他人修改……")
    version = serializers.IntegerField(help_text="当前版本号")
    current = ProjectSerializer(help_text="项目的当前内容")


class TransitionRefusedSerializer(serializers.Serializer):
    # Not required: a body that fails validation answers 400 with the field errors instead.
    detail = serializers.CharField(required=False, help_text="不能办理的原因（守卫条件的提示）")
    errors = serializers.ListField(child=serializers.CharField(), required=False)
    status = serializers.CharField(required=False, help_text="项目现在的状态（其他人可能刚办理了状态变更）")
    status_label = serializers.CharField(required=False)
    version = serializers.IntegerField(required=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


def _transition_fields(name, raw: dict) -> dict:
    """Turn the JSON values of `fields` into model values (a unit given by name, as elsewhere)."""
    allowed = TRANSITION_FIELDS.get(name, set())
    values, errors = {}, {}
    for field_name, raw_value in raw.items():
        if field_name not in allowed:
            errors[field_name] = f"{Transition(name).label}时不能填写该字段"
            continue
        field = Project._meta.get_field(field_name)
        if isinstance(raw_value, (dict, list)):
            errors[field_name] = "应为单个值"
            continue
        try:
            if field.is_relation:
                values[field_name] = None if raw_value in (None, "") else Unit.objects.get(name=raw_value)
            else:
                values[field_name] = field.to_python(raw_value)
        except Unit.DoesNotExist:
            errors[field_name] = f"未知的单位：{raw_value}"
        except DjangoValidationError as exc:
            errors[field_name] = "；".join(exc.messages)
    if errors:
        raise ApiValidationError({"fields": errors})
    return values


# --- views ---------------------------------------------------------------------------------------


class CachedCountPagination(PageNumberPagination):
    """The list's total from the cache (projects.cache): at 100,000 projects it is a count of the
    whole filtered table on every page."""

    django_paginator_class = CachedCountPaginator


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                     mixins.UpdateModelMixin, viewsets.GenericViewSet):
    """Projects in the caller's scope, with the 台账 filters (status, light, cluster, unit, leader,
    platform, year, amount, q, ordering)."""

    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    filterset_class = ProjectFilter
    pagination_class = CachedCountPagination
    permission_classes = [CanEditProjects]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        projects = selectors.visible_projects(self.request.user).select_related(
            "responsible_unit", "contact_leader", "platform"
        )
        if self.action == "retrieve":
            projects = projects.prefetch_related("nodes__responsible_unit")
        return node_selectors.annotate_light(projects, as_of=local_today()).order_by("-signing_date", "code")

    def get_serializer_class(self):
        if self.action == "transition":
            return TransitionSerializer
        if self.action == "capacity_review":
            return CapacityReviewSerializer
        return ProjectDetailSerializer if self.action == "retrieve" else ProjectSerializer

    def _present(self, project, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=project.pk)
        return Response(ProjectSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    def create(self, request, *args, **kwargs):
        serializer = ProjectSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        planned = data.pop("planned_dates", {})
        signing_date = data.pop("signing_date", None)
        try:
            project = project_create(user=request.user, signing_date=signing_date, planned_dates=planned, **data)
        except DjangoValidationError as exc:
            raise service_errors(exc) from exc
        return self._present(project, status.HTTP_201_CREATED)

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    @extend_schema(
        parameters=[OpenApiParameter("If-Match", str, OpenApiParameter.HEADER, required=False,
                                     description="读取时的 ETag（即 version），与请求体中的 version 二选一")],
        responses={200: ProjectSerializer, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT,
                   409: EditConflictSerializer},
    )
    def partial_update(self, request, *args, **kwargs):
        project = self.get_object()
        serializer = ProjectSerializer(project, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        planned = data.pop("planned_dates", None)
        version = data.pop("version", None)
        if version is None:
            version = _if_match(request)
        if "signing_date" in data or ("code" in data and data["code"] != project.code):
            raise ApiValidationError({"detail": "签约日期和项目编号不能直接修改（签约日期请通过签约操作或撤销更正）"})
        data.pop("code", None)
        try:
            project = project_update(project=project, user=request.user, planned_dates=planned, version=version,
                                     **data)
        except EditConflict as exc:
            current = self.get_queryset().get(pk=project.pk)
            body = {"detail": exc.message, "version": project_version(current),
                    "current": ProjectSerializer(current, context=self.get_serializer_context()).data}
            return Response(body, status=status.HTTP_409_CONFLICT)
        except DjangoValidationError as exc:
            raise service_errors(exc) from exc
        response = self._present(project)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    @extend_schema(
        request=TransitionSerializer,
        responses={200: ProjectSerializer, 400: TransitionRefusedSerializer, 404: OpenApiTypes.OBJECT,
                   409: TransitionRefusedSerializer},
        parameters=[OpenApiParameter("name", str, OpenApiParameter.PATH, enum=Transition.values)],
    )
    @action(detail=True, methods=["post"], url_path=r"transitions/(?P<name>[a-z_]+)")
    def transition(self, request, code=None, name=None):
        """Run one transition (DOMAIN.md section 2): 400 with the guard's message, 409 when another
        change to the project won."""
        project = self.get_object()
        if name not in Transition.values:
            raise NotFound("无此操作")
        if not selectors.can_transition(request.user, project, name):
            raise PermissionDenied("无权办理该操作")
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        fields = _transition_fields(name, data.get("fields") or {})
        try:
            project_transition(
                project=project, name=name, user=request.user, effective_date=data["effective_date"],
                note=data["note"], reason=data["reason"], fields=fields,
                expected_status=data.get("expected_status"),
            )
        except TransitionRefused as exc:
            # A client that lost a race without expected_status gets the guard's text, and the state
            # the project is in now (someone else's transition may be why the guard said no).
            return Response({"detail": "；".join(exc.messages), "errors": exc.messages, **_now_in(project)},
                            status=status.HTTP_400_BAD_REQUEST)
        except (TransitionConflict, ConcurrentTransition):
            return Response({"detail": TransitionConflict().message, **_now_in(project)},
                            status=status.HTTP_409_CONFLICT)
        return self._present(project)


    @extend_schema(request=CapacityReviewSerializer,
                   responses={200: ProjectDetailSerializer, 400: OpenApiTypes.OBJECT, 404: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="capacity-review")
    def capacity_review(self, request, code=None):
        """Record the 达产复核 (DOMAIN.md section 10): the center, or the unit owning the 达产 node,
        once the project is in production or at capacity."""
        project = self.get_object()
        if not selectors.can_review_capacity(request.user, project):
            raise PermissionDenied("无权登记该项目的达产复核（须为招商中心或达产节点责任单位，且项目已投产）")
        body = CapacityReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        reviewed_on = data.pop("reviewed_on")
        try:
            capacity_review(project=project, user=request.user, reviewed_on=reviewed_on, values=data)
        except DjangoValidationError as exc:
            raise service_errors(exc) from exc
        fresh = self.get_queryset().prefetch_related("nodes__responsible_unit").get(pk=project.pk)
        return Response(ProjectDetailSerializer(fresh, context=self.get_serializer_context()).data)


def _now_in(project) -> dict:
    current = Project.objects.get(pk=project.pk)
    return {"status": current.status, "status_label": current.get_status_display(),
            "version": project_version(current)}


def _if_match(request) -> int | None:
    raw = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
    if not raw or raw == "*":
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiValidationError({"If-Match": "If-Match 应为读取项目时得到的 ETag（版本号）"}) from None
