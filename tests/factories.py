"""factory_boy factories. States are built here, directly, never by adding transitions for tests."""

import datetime
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model

from milestones.services import sync_nodes
from projects.models import Currency, Leader, Platform, Problem, Profile, Project, Status, Unit


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试单位{n}")


class LeaderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Leader
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试领导{n}")


class PlatformFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Platform
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"测试平台{n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass12345")

    @factory.post_generation
    def role(obj, create, extracted, **kwargs):
        obj.save()
        if extracted:
            Profile.objects.update_or_create(user=obj, defaults={"role": extracted, "unit": kwargs.get("unit")})


class ProjectFactory(factory.django.DjangoModelFactory):
    """A project in any state. Pass `status=` and the dates; nodes are synced after creation.

    `planned` (dict node->date) sets agreed planned dates; `actual` (dict node->date) actual ones.
    """

    class Meta:
        model = Project
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"T{n:05d}")
    name = factory.Sequence(lambda n: f"测试项目{n}")
    investor = "测试投资有限公司"
    total_investment = Decimal("20000")
    currency = Currency.CNY
    is_manufacturing = True
    cluster = "高端装备"
    source = "外引"
    channel = "产业链招商"
    responsible_unit = factory.SubFactory(UnitFactory)
    needs_new_land = True
    land_area = Decimal("50")
    signing_date = datetime.date(2026, 1, 15)
    status = Status.SIGNED

    @factory.lazy_attribute
    def last_event_date(self):
        return self.signing_date

    @classmethod
    def _create(cls, model_class, *args, planned=None, actual=None, **kwargs):
        project = super()._create(model_class, *args, **kwargs)
        sync_nodes(project=project, agreed_dates=planned or {}, actual_dates=actual or {})
        return project


class ProblemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Problem

    project = factory.SubFactory(ProjectFactory)
    category = "land"
    description = "用地指标未落实"
    raised_on = datetime.date(2026, 3, 1)
    reply_by = factory.LazyAttribute(lambda o: o.raised_on + datetime.timedelta(days=7))
    assigned_unit = factory.LazyAttribute(lambda o: o.project.responsible_unit)
