"""The two roles, agent and supervisor, as Django groups with permissions."""

from django.contrib.auth.models import Group, Permission
from django.db.models import Q

AGENT_GROUP = "Agents"
SUPERVISOR_GROUP = "Supervisors"
SUPERVISED_APPS = ("desk", "chat", "tickets", "routing")
# Supervisors manage people and put them in groups, but never edit what a group may do
# (that would let them raise their own rights) nor raw permissions or sessions.
AGENT_VIEW_MODELS = ("kbarticle", "kbcategory", "cannedreply")


def roles_sync() -> None:
    """Create both groups and give them their permissions. Safe to run any number of times."""
    supervisors, _ = Group.objects.get_or_create(name=SUPERVISOR_GROUP)
    agents, _ = Group.objects.get_or_create(name=AGENT_GROUP)
    supervisors.permissions.set(
        Permission.objects.filter(
            Q(content_type__app_label__in=SUPERVISED_APPS)
            | Q(content_type__app_label="auth", content_type__model="user")
            | Q(content_type__app_label="auth", codename="view_group")
        ).exclude(content_type__model="ticketnumbersequence")
    )
    agents.permissions.set(
        Permission.objects.filter(
            content_type__app_label="desk",
            content_type__model__in=AGENT_VIEW_MODELS,
            codename__startswith="view_",
        )
    )


def roles_sync_after_migrate(sender, **kwargs) -> None:
    """post_migrate hook. Permissions are created app by app, so sync after each of ours."""
    if sender.name in SUPERVISED_APPS:
        roles_sync()


def supervisors():
    """The active users in the Supervisors group."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(groups__name=SUPERVISOR_GROUP, is_active=True)
