import pytest

from projects.models import Role
from tests.factories import UserFactory

PASSWORD = "pass12345"  # UserFactory's


@pytest.fixture
def center_user(db):
    return UserFactory(username="center", role=Role.CENTER)


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role=Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # These tests log in hundreds of times; the production hasher takes a second each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
