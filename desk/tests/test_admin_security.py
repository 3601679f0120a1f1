"""A supervisor manages agents in the admin but can never take over a superuser's account."""

import pytest
from django.contrib.auth import get_user_model

from routing.tests.factories import UserFactory

User = get_user_model()
NEW_PASSWORD = "Taken-over-987"


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.com", "root-pass-123")


@pytest.mark.django_db
def test_supervisor_cannot_reset_a_superusers_password(supervisor_client, superuser):
    response = supervisor_client.post(
        f"/admin/auth/user/{superuser.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    superuser.refresh_from_db()
    assert response.status_code == 404
    assert superuser.check_password("root-pass-123")


@pytest.mark.django_db
def test_supervisor_neither_lists_nor_opens_superusers(supervisor_client, superuser):
    agent_user = UserFactory(username="lily")

    changelist = supervisor_client.get("/admin/auth/user/")
    change = supervisor_client.get(f"/admin/auth/user/{superuser.pk}/change/")

    assert agent_user in changelist.context["cl"].result_list
    assert superuser not in changelist.context["cl"].result_list
    assert change.status_code == 302
    assert change["Location"] == "/admin/"


@pytest.mark.django_db
def test_supervisor_still_resets_an_agents_password(supervisor_client):
    agent_user = UserFactory(username="lily")

    response = supervisor_client.post(
        f"/admin/auth/user/{agent_user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    agent_user.refresh_from_db()
    assert response.status_code == 302
    assert agent_user.check_password(NEW_PASSWORD)


@pytest.mark.django_db
def test_superuser_still_sees_superusers(client, superuser):
    client.force_login(superuser)

    response = client.get(f"/admin/auth/user/{superuser.pk}/change/")

    assert response.status_code == 200
