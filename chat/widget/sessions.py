"""Who is behind a widget: visitor tokens, signed-in user verification, and opening a session.

A visitor token is `django.core.signing` (salt "unidesk.widget") of `[site id, customer id, token
version]`. It names one customer on one site and nothing else: every read and write the widget
makes goes through `visitor_from_token`, and the conversations it reaches are that customer's
conversations of that site (chat/widget/selectors.py).

Tokens are short-lived: the socket and the API take one for `TOKEN_MAX_AGE` (hours). For
`RESUME_MAX_AGE` (a year) the session endpoint still exchanges it for a fresh one of the same
visitor; that is how the browser remembers who it is. Sign-out raises the visitor's
`token_version`, which revokes every token of that visitor at once (and closes its sockets).

Identities:

- anonymous visitor: a new customer with a `web_visitor` identity `"<site key>:<uuid>"`;
- signed-in user of the site: the host page passes `user.id` and `user_hash` = hex
  HMAC-SHA256(site.secret, str(user.id)); a valid hash maps to the `site_user` identity
  `"<site key>:<user id>"` (verified). Without a valid hash, whatever the page says about the user
  (name, email, phone) is kept as unverified data of the anonymous visitor only;
- a token of a signed-in user is never resumed by a request without that user (sign-out on a
  shared computer starts a new anonymous visitor), and such a request, or one of another signed-in
  user, revokes the tokens of the user it named.

Nothing a visitor types (pre-chat email, phone, user data without a hash) is ever used to look up
or merge with another customer.
"""

import hashlib
import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core import signing
from django.db import transaction
from django.db.models import CharField, F, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext as _

from chat import context as context_fields
from chat import services
from chat.models import (
    Conversation,
    Customer,
    CustomerIdentity,
    IdentityKind,
    PrechatField,
    WidgetSite,
    WidgetVisitor,
)
from chat.widget import services as widget_services
from desk.kernel import ratelimit, realtime
from desk.kernel.errors import DomainError, ErrorAnswer, invalid_fields
from desk.kernel.push_events import SESSION_REVOKED, frame

TOKEN_SALT = "unidesk.widget"  # noqa: S105 (a signing salt, not a secret)
TOKEN_MAX_AGE = 8 * 3600  # a token opens the socket and the API for 8 hours
RESUME_MAX_AGE = 365 * 24 * 3600  # and resumes its visitor (for a fresh token) for a year

# What the widget reports: the conversation context (chat/context.py) and the visitor's language.
CONTEXT_LIMITS = {
    **context_fields.CONTEXT_LIMITS,
    "language": Customer._meta.get_field("language").max_length,
}
PRECHAT_LIMITS = {"name": 200, "email": 254, "phone": 40, "topic": 200}


class IdentityInvalid(DomainError, PermissionError):
    """The site requires a verified user, or the user hash is wrong: 403 `identity_invalid`."""

    code = "identity_invalid"
    status = 403


class PrechatInvalid(DomainError, ValueError):
    """Pre-chat answers refused: the API's `invalid` shape, `fields: {"prechat": errors}`."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("invalid pre-chat answers")
        self.errors = errors

    def answer(self) -> ErrorAnswer:
        return invalid_fields({"prechat": self.errors})


@dataclass(frozen=True)
class SiteUser:
    id: str
    name: str = ""
    email: str = ""
    phone: str = ""
    attributes: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Session:
    visitor: WidgetVisitor
    token: str
    conversation: Conversation | None
    prechat_pending: bool
    resumed: bool = False  # the token presented names this same visitor


# ---- tokens -------------------------------------------------------------------------------


def visitor_token(visitor: WidgetVisitor) -> str:
    return signing.dumps(
        [visitor.site_id, visitor.customer_id, visitor.token_version], salt=TOKEN_SALT
    )


def visitor_from_token(token: object, *, max_age: int = TOKEN_MAX_AGE) -> WidgetVisitor | None:
    """The visitor a token names, or None (bad signature, older than `max_age`, revoked by a
    sign-out, inactive site, no visit). One query."""
    if not isinstance(token, str) or not token or len(token) > 500:
        return None
    try:
        payload = signing.loads(token, salt=TOKEN_SALT, max_age=max_age)
    except (signing.BadSignature, TypeError, ValueError):
        return None
    if not isinstance(payload, list) or len(payload) not in (2, 3):
        return None
    if any(isinstance(value, bool) or not isinstance(value, int) for value in payload):
        return None
    site_id, customer_id, version = [*payload, 0][:3]  # tokens made before versions: 0
    return (
        WidgetVisitor.objects.select_related("site", "customer")
        .annotate(web_identity=Subquery(_web_identities(OuterRef("customer_id"))[:1]))
        .filter(
            site_id=site_id,
            customer_id=customer_id,
            token_version=version,
            site__is_active=True,
        )
        .first()
    )


def _web_identities(customer_id: object) -> QuerySet[CustomerIdentity]:
    """The customer's identities a visitor is known by on the web, as "<kind> <external id>":
    the site user's (verified) first, else the anonymous visitor's."""
    return (
        CustomerIdentity.objects.filter(
            Q(kind=IdentityKind.SITE_USER, verified=True) | Q(kind=IdentityKind.WEB_VISITOR),
            customer_id=customer_id,
        )
        .order_by("-verified", "pk")
        .annotate(ref=Concat("kind", Value(" "), "external_id", output_field=CharField()))
        .values_list("ref", flat=True)
    )


def visitor_identity(visitor: WidgetVisitor) -> services.IdentityRef:
    """Who the visitor is on the web channel: the signed-in site user (`site_user`, verified),
    else the anonymous visitor (`web_visitor` "<site key>:<uuid>"). A visitor from
    `visitor_from_token` carries it (read in the same query); another costs one query. One
    whose identity row is gone (deleted in the admin) is named by its customer id."""
    if hasattr(visitor, "web_identity"):
        ref = visitor.web_identity
    else:
        ref = _web_identities(visitor.customer_id).first()
    if ref is None:
        return services.IdentityRef(
            IdentityKind.WEB_VISITOR, f"{visitor.site.key}:customer-{visitor.customer_id}"
        )
    kind, external_id = ref.split(" ", 1)
    return services.IdentityRef(kind, external_id, verified=kind == IdentityKind.SITE_USER)


@transaction.atomic
def widget_visitor_sign_out(*, actor: object, visitor: WidgetVisitor) -> None:
    """Revoke every token of this visitor (sign-out on the host page, or another user signed in
    on this browser). Its open sockets are closed with 4403 after commit. `actor` is the visitor
    itself or the session that noticed the sign-out."""
    WidgetVisitor.objects.filter(pk=visitor.pk).update(token_version=F("token_version") + 1)
    realtime.publish([widget_services.visitor_group(visitor)], frame(SESSION_REVOKED))


# ---- identity -----------------------------------------------------------------------------


def user_hash(site: WidgetSite, user_id: str) -> str:
    """What the site's server computes for a signed-in user (and what we check)."""
    return hmac.new(site.secret.encode(), str(user_id).encode(), hashlib.sha256).hexdigest()


def user_hash_valid(site: WidgetSite, user_id: str, given: str) -> bool:
    return hmac.compare_digest(user_hash(site, user_id), given.strip().lower())


def _is_site_user(customer: Customer) -> bool:
    return CustomerIdentity.objects.filter(
        customer=customer, kind=IdentityKind.SITE_USER, verified=True
    ).exists()


def _visitor_for(site: WidgetSite, customer: Customer) -> WidgetVisitor:
    return WidgetVisitor.objects.select_related("site", "customer").get_or_create(
        site=site, customer=customer
    )[0]


def _new_anonymous(
    site: WidgetSite, *, language: str = "", ip_address: str | None = None
) -> WidgetVisitor:
    # Refused (RateLimited) before anything is made: one IP, or one site, cannot mint customers
    # without end (settings.RATE_LIMITS).
    ratelimit.enforce(("visitor_new.ip", ip_address), ("visitor_new.site", site.pk))
    visitor_id = uuid.uuid4().hex
    customer = services.customer_create(
        data=services.CustomerData(
            display_name=_("Visitor %(code)s") % {"code": visitor_id[:6].upper()},
            language=language,
            attributes={"widget_site": site.key},
        ),
        identities=[services.IdentityRef(IdentityKind.WEB_VISITOR, f"{site.key}:{visitor_id}")],
    )
    return _visitor_for(site, customer)


def _site_user_visitor(site: WidgetSite, user: SiteUser, language: str) -> WidgetVisitor:
    customer, created = services.customer_get_or_create_for_identity(
        identity=services.IdentityRef(IdentityKind.SITE_USER, f"{site.key}:{user.id}", True),
        data=services.CustomerData(
            display_name=user.name or user.email or f"{site.key}:{user.id}",
            language=language,
            attributes=_user_attributes(site, user),
        ),
    )
    if not created:
        # The site vouches for this data (the hash is valid): keep the customer current.
        attributes = {**customer.attributes, **_user_attributes(site, user)}
        changed = attributes != customer.attributes or (
            user.name and user.name != customer.display_name
        )
        if changed:
            customer.attributes = attributes
            customer.display_name = user.name or customer.display_name
            customer.save(update_fields=["attributes", "display_name", "updated_at"])
    return _visitor_for(site, customer)


def _user_attributes(site: WidgetSite, user: SiteUser) -> dict[str, Any]:
    data = {**user.attributes, "widget_site": site.key, "site_user_id": user.id}
    if user.email:
        data["email"] = user.email
    if user.phone:
        data["phone"] = user.phone
    return data


def _language(context: Mapping[str, str]) -> str:
    raw = (context.get("language") or "").lower()
    if raw.startswith("zh"):
        return "zh-hans"
    return "en" if raw else ""


# ---- the session --------------------------------------------------------------------------


def clean_context(context: Mapping[str, Any]) -> dict[str, str]:
    """The known context fields as strings cut to their column sizes; URLs only http(s)."""
    cleaned = {}
    for name, limit in CONTEXT_LIMITS.items():
        value = str(context.get(name) or "").strip()[:limit]
        if name in context_fields.URL_FIELDS and not value.startswith(("http://", "https://")):
            value = ""
        if value:
            cleaned[name] = value
    return cleaned


@transaction.atomic
def widget_session_open(
    *,
    site: WidgetSite,
    token: str = "",
    user: SiteUser | None = None,
    given_hash: str = "",
    context: Mapping[str, Any] | None = None,
    prechat: Mapping[str, Any] | None = None,
    ip_address: str | None = None,
) -> Session:
    """Resume or start the visitor behind this widget, remember the page context, take the
    pre-chat answers (which start the first conversation), and return a fresh token."""
    ctx = clean_context(context or {})
    language = _language(ctx)
    presented = visitor_from_token(token, max_age=RESUME_MAX_AGE)
    if presented is not None and presented.site_id != site.pk:
        presented = None  # another site's token says nothing here
    presented_user = presented is not None and _is_site_user(presented.customer)
    if user is not None and given_hash:
        if not user_hash_valid(site, user.id, given_hash):
            raise IdentityInvalid(_("The user hash does not match this user."))
        visitor = _site_user_visitor(site, user, language)
        if presented_user and presented.pk != visitor.pk:
            # Another user signed in on this browser: the previous user's tokens end.
            widget_visitor_sign_out(actor=visitor, visitor=presented)
    elif site.require_identity or given_hash:
        raise IdentityInvalid(_("This site only chats with signed-in users."))
    else:
        if presented_user:
            # The user signed out of the site: none of their tokens keeps working.
            widget_visitor_sign_out(actor=presented, visitor=presented)
        usable = presented is not None and not presented_user
        visitor = (
            presented if usable else _new_anonymous(site, language=language, ip_address=ip_address)
        )
        if user is not None:
            _remember_unverified(visitor, user)
    visitor.context = ctx or visitor.context
    visitor.ip_address = ip_address or visitor.ip_address
    visitor.save(update_fields=["context", "ip_address", "last_seen_at"])
    if prechat is not None:
        widget_prechat_submit(visitor=visitor, answers=prechat)
    conversation = widget_services.visitor_conversation(visitor)
    pending = bool(site.prechat_enabled) and not widget_services.visitor_has_conversation(visitor)
    resumed = presented is not None and presented.pk == visitor.pk
    return Session(visitor, visitor_token(visitor), conversation, pending, resumed)


def _remember_unverified(visitor: WidgetVisitor, user: SiteUser) -> None:
    """What a page says about an unverified user: data of this visitor only."""
    customer = visitor.customer
    claimed = {
        "claimed_user_id": user.id,
        "claimed_email": user.email,
        "claimed_phone": user.phone,
    }
    customer.attributes = {
        **customer.attributes,
        **{key: value for key, value in claimed.items() if value},
    }
    fields = ["attributes", "updated_at"]
    if user.name and not _has_prechat_name(visitor):
        customer.display_name = user.name[:200]
        fields.append("display_name")
    customer.save(update_fields=fields)


def _has_prechat_name(visitor: WidgetVisitor) -> bool:
    return bool(visitor.prechat.get("name"))


def validate_prechat(site: WidgetSite, answers: Mapping[str, Any]) -> dict[str, str]:
    """The answers to the site's pre-chat form, or PrechatInvalid naming each bad field."""
    from django.core.validators import validate_email

    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    modes = site.prechat_modes()
    for name in set(answers) - set(modes):
        errors[name] = [_("This form does not ask for this field.")]
    for name, mode in modes.items():
        value = answers.get(name, "")
        if not isinstance(value, str):
            errors[name] = [_("Enter text.")]
            continue
        value = value.strip()
        if len(value) > PRECHAT_LIMITS[name]:
            errors[name] = [_("At most %(n)d characters.") % {"n": PRECHAT_LIMITS[name]}]
        elif not value and mode == PrechatField.REQUIRED:
            errors[name] = [_("This field is required.")]
        elif value and name == "email":
            try:
                validate_email(value)
            except Exception:
                errors[name] = [_("Enter a valid email address.")]
        elif value and name == "phone" and not _phone_like(value):
            errors[name] = [_("Enter a valid phone number.")]
        elif value and name == "topic" and value not in site.topic_list():
            errors[name] = [_("Choose one of the topics.")]
        if value and name not in errors:
            cleaned[name] = value
    if errors:
        raise PrechatInvalid(errors)
    return cleaned


def _phone_like(value: str) -> bool:
    digits = [c for c in value if c.isdigit()]
    return 5 <= len(digits) <= 20 and all(c.isdigit() or c in "+-() " for c in value)


@transaction.atomic
def widget_prechat_submit(*, visitor: WidgetVisitor, answers: Mapping[str, Any]) -> Conversation:
    """Keep the answers as unverified data of this visitor's own customer and start the
    conversation (its subject is the topic). Nothing here looks up another customer."""
    site = visitor.site
    if not site.prechat_enabled:
        raise PrechatInvalid({"prechat": [_("This site has no pre-chat form.")]})
    cleaned = validate_prechat(site, answers)
    visitor.prechat = cleaned
    visitor.save(update_fields=["prechat", "last_seen_at"])
    customer = visitor.customer
    customer.attributes = {
        **customer.attributes,
        **{f"prechat_{name}": value for name, value in cleaned.items()},
    }
    fields = ["attributes", "updated_at"]
    if cleaned.get("name") and not _is_site_user(customer):
        customer.display_name = cleaned["name"]
        fields.append("display_name")
    customer.save(update_fields=fields)
    started = widget_services.visitor_conversation_start(
        visitor=visitor, subject=cleaned.get("topic", ""), prechat_done=True
    )
    return started[0]


@transaction.atomic
def widget_site_rotate_secret(*, actor: object, site: WidgetSite) -> WidgetSite:
    """A new identity secret; user hashes made with the old one stop working at once. (The
    admin action that calls this records who did it in the admin log.)"""
    from chat.models import new_widget_secret

    locked = WidgetSite.objects.select_for_update().get(pk=site.pk)
    locked.secret = new_widget_secret()
    locked.save(update_fields=["secret"])
    return locked


def visitor_token_for_new_visitor(*, site: WidgetSite) -> str:
    """A token for a brand-new anonymous visitor (benchmarks and tests)."""
    return widget_session_open(site=site).token
