"""The routing rules on a new conversation, once, before its first routing (issue 12).

`conversation_route_or_queue` calls `conversation_rules_apply` for a conversation that is neither
queued nor assigned yet; it runs in the `message.created` handler after the message's
transaction committed, never inside it. The first active rule that matches (routing.rules) sets
the conversation's team, priority and required skill, and the decision goes on its timeline as
an internal event naming the rule. An urgent or angry first message (chat/mood.py) raises the
priority by one level more, with its own internal event naming the words. Neither: only the
marker changes.
"""

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from chat import events
from chat.models import ContentType, Conversation, ConversationStatus, Message, SenderType
from chat.mood import Mood, moods_merge, text_mood
from chat.services import message_create
from desk.kernel.choices import Priority
from routing import rules
from routing.models import RoutingRule


def conversation_facts(conversation: Conversation) -> rules.RuleFacts:
    """What the rules look at: channel, widget site, the customer, and their first message."""
    first = (
        Message.objects.filter(
            conversation=conversation, sender_type=SenderType.CUSTOMER, is_internal=False
        )
        .order_by("seq")
        .values_list("body", flat=True)
        .first()
    ) or ""
    customer = conversation.customer
    site = conversation.widget_site
    return rules.RuleFacts(
        kind=rules.CONVERSATIONS,
        channel=conversation.channel,
        site_key=str(site.key) if site is not None else "",
        site_name=site.name if site is not None else "",
        vip_level=customer.vip_level,
        attributes=customer.attributes if isinstance(customer.attributes, dict) else {},
        text=first,
        categories=rules.categories_detected(first) if first else (),
        language=rules.language_of(first, customer.language),
        at=timezone.now(),
    )


def rule_decision_text(rule: RoutingRule, *, priority: int | None) -> str:
    """ "Routing rule 'VIP' → team 金牌客服组, skill English ≥ 3, P1" in the site's language (a
    timeline row is written once, for every reader)."""
    with translation.override(settings.LANGUAGE_CODE):
        parts = [_("team %(team)s") % {"team": rule.team.name}]
        if rule.skill is not None:
            parts.append(
                _("skill %(skill)s ≥ %(level)d")
                % {"skill": rule.skill.name, "level": rule.min_skill_level}
            )
        if priority is not None:
            parts.append(f"P{priority}")
        return _("Routing rule “%(rule)s” → %(targets)s") % {
            "rule": rule.name,
            "targets": ", ".join(parts),
        }


def conversation_rules_apply(*, conversation_id: int) -> RoutingRule | None:
    """Run the rules once on an open conversation nobody has; returns the rule that matched.
    The facts (the classifier among them) are read before the conversation's row is locked:
    the customer's next message waits for that lock, not for a model."""
    unchecked = (
        Conversation.objects.select_related("customer", "widget_site", "team")
        .filter(pk=conversation_id, rules_checked_at=None, assignee__isnull=True)
        .exclude(status=ConversationStatus.CLOSED)
    )
    pending = unchecked.first()
    if pending is None:
        return None
    facts = conversation_facts(pending)
    rule = rules.rule_match(facts)
    mood = text_mood(facts.text)
    with transaction.atomic():
        conversation = unchecked.select_for_update(of=("self",)).first()
        if conversation is None:
            return None  # taken or checked meanwhile
        conversation.rules_checked_at = timezone.now()
        if rule is None and not mood.upset:
            conversation.save(update_fields=["rules_checked_at"])
            return None
        left = events.inbox_groups(conversation)
        if rule is not None:
            _rule_apply(conversation, rule)
        if mood.upset:
            _mood_raise(conversation, mood)
        conversation.save(update_fields=SAVED)
        events.publish_conversation(conversation, also_groups=left)
        return rule


SAVED = ["rules_checked_at", "team", "routing_rule", "required_skill", "required_skill_level",
         "priority", "urgent", "angry", "mood_words"]  # fmt: skip


def _rule_apply(conversation: Conversation, rule: RoutingRule) -> None:
    old = {"team": conversation.team.name if conversation.team else "",
           "priority": conversation.priority}  # fmt: skip
    conversation.team = rule.team
    conversation.routing_rule = rule
    conversation.required_skill = rule.skill
    conversation.required_skill_level = rule.min_skill_level if rule.skill else 1
    if rule.priority is not None:
        conversation.priority = Priority(rule.priority)
    message_create(
        conversation=conversation,
        sender_type=SenderType.SYSTEM,
        content_type=ContentType.EVENT,
        is_internal=True,
        body=rule_decision_text(rule, priority=rule.priority),
        payload={
            "event": "conversation.routing_rule",
            "rule_id": rule.pk,
            "rule": rule.name,
            "old": old,
            "team": rule.team.name,
            "skill": rule.skill.name if rule.skill else "",
            "skill_level": rule.min_skill_level if rule.skill else None,
            "priority": rule.priority,
        },
    )


def mood_raise_text(mood: Mood, *, priority: int) -> str:
    """ "Priority raised to P1: the customer sounds urgent (马上)" in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        if mood.urgent and mood.angry:
            why = _("the customer sounds urgent and angry")
        elif mood.urgent:
            why = _("the customer sounds urgent")
        else:
            why = _("the customer sounds angry")
        return _("Priority raised to P%(priority)d: %(why)s (%(words)s)") % {
            "priority": priority,
            "why": why,
            "words": ", ".join(mood.words),
        }


def _mood_raise(conversation: Conversation, mood: Mood) -> None:
    """An urgent or angry first message: the flags, and the priority one level up (after the
    rule's), on the timeline with the words that raised it."""
    conversation.urgent = conversation.urgent or mood.urgent
    conversation.angry = conversation.angry or mood.angry
    conversation.mood_words = moods_merge(conversation.mood_words or [], mood)
    old = conversation.priority
    if old <= min(Priority.values):
        return
    conversation.priority = Priority(old - 1)
    message_create(
        conversation=conversation,
        sender_type=SenderType.SYSTEM,
        content_type=ContentType.EVENT,
        is_internal=True,
        body=mood_raise_text(mood, priority=conversation.priority),
        payload={
            "event": "conversation.priority_raised",
            "old": old,
            "priority": int(conversation.priority),
            "urgent": mood.urgent,
            "angry": mood.angry,
            "words": mood.words,
        },
    )
