"""Every write to routing rules (the API's; the admin saves through its own form and log).

Each write is atomic and leaves an entry in the admin's history (`LogEntry`), so a rule's page
shows who changed it however it was changed."""

import json
from collections.abc import Mapping
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from routing.models import RoutingRule


def _log(actor: AbstractBaseUser, rule: RoutingRule, flag: int, message: str) -> None:
    LogEntry.objects.log_actions(
        user_id=actor.pk,
        queryset=[rule],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


def _checked(rule: RoutingRule) -> None:
    """The model's checks (Django's ValidationError): the API's serializer has made them already
    and answered 400, so here they only guard other callers."""
    rule.full_clean()


@transaction.atomic
def routing_rule_create(*, actor: AbstractBaseUser, data: Mapping[str, Any]) -> RoutingRule:
    rule = RoutingRule(**data)
    _checked(rule)
    rule.save()
    _log(actor, rule, ADDITION, json.dumps([{"added": {}}]))
    return rule


@transaction.atomic
def routing_rule_update(
    *, actor: AbstractBaseUser, rule: RoutingRule, changes: Mapping[str, Any]
) -> RoutingRule:
    locked = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    changed = [name for name, value in changes.items() if getattr(locked, name) != value]
    for name in changed:
        setattr(locked, name, changes[name])
    if not changed:
        return locked
    _checked(locked)
    locked.save()
    fields = sorted(name.removesuffix("_id") for name in changed)
    _log(actor, locked, CHANGE, json.dumps([{"changed": {"fields": fields}}]))
    return locked


@transaction.atomic
def routing_rule_delete(*, actor: AbstractBaseUser, rule: RoutingRule) -> None:
    _log(actor, rule, DELETION, "")
    rule.delete()
