"""The conversation's half of storing a message: one conditional UPDATE … RETURNING.

`conversation_next_seq` is the first statement of `chat.services.message_create`. On the
conversation's row it

- takes the row lock: every other writer of this conversation (the next message, a status
  change, the deletion of an unsent upload) waits for it until commit;
- hands out the next `seq` (`last_seq + 1`), moves `last_message_at`, adds one to the other side's
  unread counter, and opens a waiting conversation an agent or bot answers — all on the locked
  values, so no update is lost;
- refuses, through its WHERE, what the caller refuses: a conversation outside `within`, a closed
  one (`refuse_closed`), and, for a customer's message with `within`, a `client_msg_id` already
  stored in any conversation of `within` (a resend after the conversation changed);
- returns what announcing the message needs — the conversation's columns, the customer's name and
  VIP level, the team's name, the assignee's and the sender's names and avatars — through scalar
  sub-selects of the same statement, so the push costs no further query.

It returns None when a condition failed; the caller finds out which on its (rare) slow path.
PostgreSQL and SQLite (3.35+) both run the statement as written.
"""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection
from django.db.models import Model, QuerySet

from chat.models import Conversation, ConversationStatus, Customer, Message, SenderType
from routing.models import AgentProfile, Team


@dataclass(frozen=True)
class Taken:
    """The updated conversation (customer, team and assignee attached) and, when the message
    has an agent, that agent with its profile attached."""

    conversation: Conversation
    sender: AbstractBaseUser | None


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _col(model: type[Model], name: str) -> str:
    return _q(model._meta.get_field(name).column)


def _table(model: type[Model]) -> str:
    return _q(model._meta.db_table)


def _scalar(model: type[Model], column: str, key: str, equals: str) -> str:
    """`(SELECT column FROM model WHERE key = equals)`: one index lookup inside the UPDATE."""
    selected, table, where = _col(model, column), _table(model), _col(model, key)
    return f"(SELECT {selected} FROM {table} WHERE {where} = {equals})"  # noqa: S608 (names only)


def conversation_next_seq(
    *,
    conversation_id: int,
    sender_type: str,
    is_internal: bool,
    now: datetime,
    within: QuerySet[Conversation] | None,
    refuse_closed: bool,
    client_msg_id: str,
    sender_user: AbstractBaseUser | None,
) -> Taken | None:
    User = get_user_model()
    conv = _table(Conversation)

    def col(name: str) -> str:
        return _col(Conversation, name)

    sets: list[str] = [f"{col('last_seq')} = {col('last_seq')} + 1"]
    set_params: list = []
    if not is_internal:
        sets.append(f"{col('last_message_at')} = %s")
        set_params.append(connection.ops.adapt_datetimefield_value(now))
        if sender_type == SenderType.CUSTOMER:
            sets.append(f"{col('unread_by_agent')} = {col('unread_by_agent')} + 1")
        elif sender_type in (SenderType.AGENT, SenderType.BOT):
            sets.append(f"{col('unread_by_customer')} = {col('unread_by_customer')} + 1")
            status = col("status")
            sets.append(f"{status} = CASE WHEN {status} = %s THEN %s ELSE {status} END")
            set_params += [ConversationStatus.WAITING, ConversationStatus.OPEN]

    where: list[str] = [f"{conv}.{col('id')} = %s"]
    where_params: list = [conversation_id]
    if within is not None:
        scope, scope_params = (
            within.filter(pk=conversation_id).order_by().values("pk").query.sql_with_params()
        )
        where.append(f"{conv}.{col('id')} IN ({scope})")
        where_params += scope_params
    if refuse_closed:
        where.append(f"{col('status')} <> %s")
        where_params.append(ConversationStatus.CLOSED)
    if within is not None and client_msg_id and sender_type == SenderType.CUSTOMER:
        earlier, earlier_params = (
            Message.objects.filter(
                sender_type=SenderType.CUSTOMER,
                client_msg_id=client_msg_id,
                conversation__in=within.order_by().values("pk"),
            )
            .order_by()
            .values("pk")
            .query.sql_with_params()
        )
        where.append(f"NOT EXISTS ({earlier})")
        where_params += earlier_params

    customer_id, team_id, assignee_id = (
        f"{conv}.{col(name)}" for name in ("customer", "team", "assignee")
    )
    returning = [
        "*",
        f"{_scalar(Customer, 'display_name', 'id', customer_id)} AS x_customer_name",
        f"{_scalar(Customer, 'vip_level', 'id', customer_id)} AS x_customer_vip",
        f"{_scalar(Team, 'name', 'id', team_id)} AS x_team_name",
        f"{_scalar(User, User.USERNAME_FIELD, 'id', assignee_id)} AS x_assignee_username",
        *_profile_columns("x_assignee", assignee_id),
    ]
    returning_params: list = []
    if sender_user is not None:
        returning += _profile_columns("x_sender", "%s")
        returning_params = [sender_user.pk] * 3
    sql = (
        f"UPDATE {conv} SET {', '.join(sets)} WHERE {' AND '.join(where)} "  # noqa: S608 (no input)
        f"RETURNING {', '.join(returning)}"
    )
    rows = list(Conversation.objects.raw(sql, [*set_params, *where_params, *returning_params]))
    if not rows:
        return None
    (found,) = rows
    return Taken(_attach(found), _sender(found, sender_user) if sender_user is not None else None)


def _profile_columns(prefix: str, user_id: str) -> list[str]:
    return [
        f"{_scalar(AgentProfile, field, 'user', user_id)} AS {prefix}_profile_{field}"
        for field in ("id", "display_name", "avatar_url")
    ]


def _instance(model: type[Model], **values) -> Model:
    """A row known only in part (the rest loads on access, never needed on this path)."""
    return model.from_db(connection.alias, list(values), list(values.values()))


def _user(user_id: int, username: str, row: Conversation, prefix: str) -> AbstractBaseUser:
    User = get_user_model()
    user = _instance(User, **{"id": user_id, User.USERNAME_FIELD: username})
    profile_id = getattr(row, f"{prefix}_profile_id")
    if profile_id is None:
        User._meta.get_field("agent_profile").set_cached_value(user, None)  # known: none
    else:
        user.agent_profile = _instance(
            AgentProfile,
            id=profile_id,
            user_id=user_id,
            display_name=getattr(row, f"{prefix}_profile_display_name"),
            avatar_url=getattr(row, f"{prefix}_profile_avatar_url"),
        )
    return user


def _attach(row: Conversation) -> Conversation:
    row.customer = _instance(
        Customer, id=row.customer_id, display_name=row.x_customer_name, vip_level=row.x_customer_vip
    )
    if row.team_id is not None:
        row.team = _instance(Team, id=row.team_id, name=row.x_team_name)
    if row.assignee_id is not None:
        row.assignee = _user(row.assignee_id, row.x_assignee_username, row, "x_assignee")
    return row


def _sender(row: Conversation, sender_user: AbstractBaseUser) -> AbstractBaseUser:
    return _user(sender_user.pk, sender_user.get_username(), row, "x_sender")
