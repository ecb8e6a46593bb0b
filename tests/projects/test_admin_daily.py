"""Issue 9 section 5: the administrators' side reads in Chinese and users are set up in one place."""

import pytest
from django.contrib import admin
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from projects.models import Profile, Role, Unit
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_schedules_have_chinese_names_not_task_paths(admin_client):
    body = admin_client.get(reverse("admin:django_celery_beat_periodictask_changelist")).content.decode()
    assert "每周逾期预警" in body and "补发待发送消息" in body
    assert "每天 09:00" in body
    table = body[body.index("<table"):body.index("</table>")]
    assert "notifications.tasks." not in table
    assert "Task Name" not in body and "Scheduler" not in table


def test_the_schedule_form_is_chinese(admin_client):
    task = PeriodicTask.objects.get(name="每周逾期预警")
    body = admin_client.get(reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])).content.decode()
    assert "任务（已注册）" in body and "执行选项" in body and "每周逾期预警（每周第一个工作日发送）" in body
    for english in ("Execution Options", "Task (registered)", "Task (custom)", ">Arguments<", "Translation:",
                    "At 09:00 AM"):
        assert english not in body
    assert '<option value="notifications.tasks.weekly_alert" selected>' in body
    assert ">每天 09:00</option>" in body


def test_a_schedules_page_is_titled_by_its_name_not_its_crontab(admin_client):
    """Issue 9 section 5: django-celery-beat titles a task "name: 0 9 * * 1 (m/h/dM/MY/d) Asia/Shanghai"."""
    task = PeriodicTask.objects.get(name="每周逾期预警")
    body = admin_client.get(reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])).content.decode()
    head = body[:body.index('<div id="content-main"')]
    assert "<h2>每周逾期预警</h2>" in head and "<title>每周逾期预警 |" in head
    breadcrumbs = head[head.index('class="breadcrumbs"'):]
    assert "每周逾期预警" in breadcrumbs
    assert "m/h/dM/MY/d" not in head and "Asia/Shanghai" not in head


def test_a_users_role_and_unit_are_set_on_the_user_page(admin_client):
    user = UserFactory(username="jx", role=Role.UNIT, role__unit=Unit.objects.get(name="市经信局"))
    change = admin_client.get(reverse("admin:auth_user_change", args=[user.pk])).content.decode()
    assert "角色与单位" in change and 'name="profile-0-role"' in change
    listing = admin_client.get(reverse("admin:auth_user_changelist")).content.decode()
    assert "市经信局" in listing and "责任单位" in listing


def test_roles_are_not_a_second_place_to_set_up_users():
    assert Profile not in admin.site._registry


def test_a_new_user_gets_a_role_on_the_same_page(admin_client):
    response = admin_client.post(reverse("admin:auth_user_add"), {
        "username": "newunit", "password1": "Zx9!long-pass", "password2": "Zx9!long-pass",
        "usable_password": "true",
        "profile-TOTAL_FORMS": "1", "profile-INITIAL_FORMS": "0", "profile-MIN_NUM_FORMS": "0",
        "profile-MAX_NUM_FORMS": "1", "profile-0-role": "unit", "profile-0-unit": Unit.objects.get(name="市经信局").pk,
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Profile.objects.get(user__username="newunit").role == Role.UNIT
