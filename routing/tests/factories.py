import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from desk.kernel.roles import AGENT_GROUP, SUPERVISOR_GROUP
from routing.models import AgentProfile, AgentSkill, PresenceLog, RoutingRule, Skill, Team

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Team {n}")


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Skill {n}")


class AgentProfileFactory(factory.django.DjangoModelFactory):
    """An agent: a user in the Agents group with a workspace profile."""

    class Meta:
        model = AgentProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    display_name = factory.LazyAttribute(lambda p: p.user.username.title())
    # What they chose last is what they are: a factory agent signs in as it was made (the
    # model's default, online, is what a new agent gets in the product).
    presence = "offline"
    chosen_presence = factory.LazyAttribute(lambda p: p.presence)

    @factory.post_generation
    def groups(obj, create, extracted, **kwargs):
        if create:
            obj.user.groups.add(Group.objects.get_or_create(name=AGENT_GROUP)[0])

    @factory.post_generation
    def teams(obj, create, extracted, **kwargs):
        if create and extracted:
            obj.teams.set(extracted)


class SupervisorProfileFactory(AgentProfileFactory):
    """A supervisor: staff, in both groups, with a workspace profile too."""

    user = factory.SubFactory(UserFactory, is_staff=True)

    @factory.post_generation
    def supervisor_group(obj, create, extracted, **kwargs):
        if create:
            obj.user.groups.add(Group.objects.get_or_create(name=SUPERVISOR_GROUP)[0])


class AgentSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentSkill

    agent = factory.SubFactory(AgentProfileFactory)
    skill = factory.SubFactory(SkillFactory)
    level = 3


class PresenceLogFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PresenceLog

    agent = factory.SubFactory(AgentProfileFactory)
    old_value = "offline"
    new_value = "online"


class RoutingRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoutingRule

    name = factory.Sequence(lambda n: f"Rule {n}")
    position = factory.Sequence(lambda n: 10 * (n + 1))
    team = factory.SubFactory(TeamFactory)
