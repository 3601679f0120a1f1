"""Supervisors configure channel accounts here: the token goes in once (encrypted, then shown
masked), the webhook URL is shown with a copy button, and three actions talk to the provider
through the guarded client: test the connection, register the webhook, rotate its secret."""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.forms.widgets import Script
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from chat.adapters.provider import ConnectionProblem
from chat.channels import services
from chat.channels.models import ChannelAccount, InboundEvent, OutboundDelivery
from chat.channels.secret_box import SecretsUnreadable, mask


def webhook_path(account: ChannelAccount) -> str:
    return reverse(
        "channels-api:provider-webhook", kwargs={"channel": account.channel, "key": account.key}
    )


def webhook_url(request, account: ChannelAccount) -> str:
    """The address the provider calls: PUBLIC_BASE_URL when set, else this request's host."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    path = webhook_path(account)
    return f"{base}{path}" if base else request.build_absolute_uri(path)


class ChannelAccountForm(forms.ModelForm):
    token = forms.CharField(
        label=_("bot token"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "From @BotFather (123456:ABC…). Stored encrypted; leave empty to keep the saved one."
        ),
    )

    app_id = forms.CharField(
        label=_("AppID (WeChat)"), required=False, strip=True, max_length=64,
        help_text=_("公众平台 → 开发 → 基本配置 (WeChat only)."),
    )  # fmt: skip
    app_secret = forms.CharField(
        label=_("AppSecret (WeChat) / app secret (WhatsApp)"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted; leave empty to keep the saved one."),
    )  # fmt: skip
    encoding_aes_key = forms.CharField(
        label=_("EncodingAESKey (WeChat)"), required=False, strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("43 characters, for safe mode (安全模式). Stored encrypted."),
    )  # fmt: skip

    phone_number_id = forms.CharField(
        label=_("phone number ID (WhatsApp)"), required=False, strip=True, max_length=40,
        help_text=_("Meta app → WhatsApp → API setup (WhatsApp only)."),
    )  # fmt: skip
    template_name = forms.CharField(
        label=_("template name (WhatsApp)"), required=False, strip=True, max_length=100,
        help_text=_("An approved template, sent when the 24-hour window is closed."),
    )  # fmt: skip
    template_language = forms.CharField(
        label=_("template language (WhatsApp)"), required=False, strip=True, max_length=15,
        help_text=_("The template's language code, such as zh_CN or en_US."),
    )  # fmt: skip
    template_parameters = forms.CharField(
        label=_("template parameters (WhatsApp)"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "The values of the template's {{1}}, {{2}} … one a line, in order; "
            "{{customer.name}} and {{agent.name}} are filled in when it is sent. "
            "Empty: a template without parameters."
        ),
    )  # fmt: skip

    welcome_message = forms.CharField(
        label=_("welcome message (WeChat)"), required=False, strip=True, max_length=600,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Sent to each new follower the moment they follow the account (a passive reply). "
            "Empty: none."
        ),
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # not secrets: shown as saved
            try:
                saved = self.instance.secrets
            except SecretsUnreadable:  # the saved-token field says so
                saved = {}
            self.initial["template_parameters"] = "\n".join(saved.get("template_parameters") or [])
            self.initial["welcome_message"] = saved.get("welcome_message", "")

    def clean_template_parameters(self) -> list[str]:
        from chat.channels.services import template_parameters_check

        lines = [line.strip() for line in self.cleaned_data["template_parameters"].splitlines()]
        lines = [line for line in lines if line]
        problem = template_parameters_check(lines)
        if problem:
            raise forms.ValidationError(problem)
        return lines

    class Meta:
        model = ChannelAccount
        fields = ["name", "channel", "is_active", "team"]

    def clean(self):
        data = super().clean()
        key = data.get("encoding_aes_key")
        if key:
            from chat.adapters.wechat_crypto import CryptoError, aes_key

            try:
                aes_key(key)
            except CryptoError:
                self.add_error(
                    "encoding_aes_key", gettext("The EncodingAESKey must be 43 characters.")
                )
        if self.instance.pk:
            return data
        if data.get("channel") == "wechat":
            for name in ("app_id", "app_secret"):
                if not data.get(name):
                    message = gettext("A new WeChat account needs its AppID and AppSecret.")
                    self.add_error(name, message)
        elif data.get("channel") == "whatsapp":
            for name in ("token", "app_secret", "phone_number_id"):
                if not data.get(name):
                    message = gettext(
                        "A new WhatsApp account needs its access token, app secret and "
                        "phone number ID."
                    )
                    self.add_error(name, message)
        elif not data.get("token"):
            self.add_error("token", gettext("A new account needs its token."))
        return data


@admin.register(ChannelAccount)
class ChannelAccountAdmin(admin.ModelAdmin):
    form = ChannelAccountForm
    list_display = ["name", "channel", "is_active", "team", "webhook_registered_at"]
    list_filter = ["channel", "is_active"]
    readonly_fields = ["saved_token", "webhook", "webhook_registered_at", "created_at"]
    fields = ["name", "channel", "is_active", "team", "token", "app_id", "app_secret",
              "encoding_aes_key", "phone_number_id", "template_name",
              "template_language", "template_parameters", "welcome_message", "saved_token",
              "webhook",
              "webhook_registered_at", "created_at"]  # fmt: skip
    actions = ["test_connection", "register_webhook", "rotate_secret"]

    class Media:
        js = [Script("desk/admin_copy.js", type="module")]

    @admin.display(description=_("saved token"))
    def saved_token(self, obj: ChannelAccount) -> str:
        try:
            return mask(obj.secrets.get("token", "")) or "-"
        except SecretsUnreadable:
            return gettext("cannot be decrypted: enter it again")

    @admin.display(description=_("webhook URL"))
    def webhook(self, obj: ChannelAccount) -> str:
        if not obj.pk:
            return gettext("Shown once the account is saved.")
        return format_html(
            '<code data-copy-url data-base="{}">{}</code> '
            '<button type="button" class="button" data-copy-button data-copied="{}">{}</button>'
            "<br>{}",
            settings.PUBLIC_BASE_URL.rstrip("/"),
            webhook_path(obj),
            gettext("Copied"),
            gettext("Copy"),
            gettext(
                "Telegram needs an https:// address reachable from the internet; "
                "“Register webhook” sets it with the secret."
            ),
        )

    def save_model(self, request, obj: ChannelAccount, form, change: bool) -> None:
        token = form.cleaned_data.get("token")
        secret = None
        if token:
            obj.set_secrets(token=token)
        wechat = {
            name: form.cleaned_data[name]
            for name in (
                "app_id",
                "app_secret",
                "encoding_aes_key",
                "phone_number_id",
                "template_name",
                "template_language",
            )
            if form.cleaned_data.get(name)
        }
        if wechat:
            obj.set_secrets(**wechat)
        if obj.channel == "whatsapp":  # cleared when emptied: a template without parameters
            obj.set_secrets(template_parameters=form.cleaned_data.get("template_parameters") or [])
        if obj.channel == "wechat":  # cleared when emptied: no welcome
            obj.set_secrets(welcome_message=form.cleaned_data.get("welcome_message") or "")
        if not change:
            secret = services.new_webhook_secret(obj.channel)
            obj.set_secrets(webhook_secret=secret)
        super().save_model(request, obj, form, change)
        if token:
            self.message_user(request, gettext("Token saved: %(masked)s") % {"masked": mask(token)})
        if secret:
            self._show_secret_once(request, obj, secret)

    def delete_model(self, request, obj: ChannelAccount) -> None:
        self._delete(request, ChannelAccount.objects.filter(pk=obj.pk))

    def delete_queryset(self, request, queryset) -> None:
        self._delete(request, queryset)

    def _delete(self, request, accounts) -> None:
        closed = services.channel_accounts_delete(actor=request.user, accounts=accounts)
        if closed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d open conversation was closed: its replies could no longer reach "
                    "the customer.",
                    "%(count)d open conversations were closed: their replies could no longer "
                    "reach the customers.",
                    closed,
                )
                % {"count": closed},
            )

    def _show_secret_once(self, request, obj: ChannelAccount, secret: str) -> None:
        if obj.channel == "wechat":
            text = gettext(
                "Token of “%(name)s”, shown this once: %(secret)s — enter it as the Token in "
                "公众平台 → 开发 → 基本配置 (Settings → Basic configuration)."
            )
            self.message_user(
                request, text % {"name": obj.name, "secret": secret}, messages.WARNING
            )
            return
        if obj.channel == "whatsapp":
            text = gettext(
                "Verify token of “%(name)s”, shown this once: %(secret)s — enter it with the "
                "callback URL in the Meta app → WhatsApp → Configuration."
            )
            self.message_user(
                request, text % {"name": obj.name, "secret": secret}, messages.WARNING
            )
            return
        self.message_user(
            request,
            gettext(
                "Webhook secret of “%(name)s”, shown this once: %(secret)s — "
                "“Register webhook” gives it to Telegram for you."
            )
            % {"name": obj.name, "secret": secret},
            messages.WARNING,
        )

    @admin.action(description=_("Test connection"))
    def test_connection(self, request, queryset) -> None:
        for account in queryset:
            try:
                facts = services.channel_account_check(account=account)
            except ConnectionProblem as problem:
                self.message_user(request, f"{account.name}: {problem.message}", messages.ERROR)
                continue
            text = gettext("%(name)s: connected.") % {"name": account.name}
            self.message_user(request, " ".join([text, *facts]), messages.SUCCESS)

    @admin.action(description=_("Register webhook"))
    def register_webhook(self, request, queryset) -> None:
        for account in queryset:
            url = webhook_url(request, account)
            try:
                services.channel_account_register_webhook(account=account, url=url)
            except ConnectionProblem as problem:
                self.message_user(request, f"{account.name}: {problem.message}", messages.ERROR)
                continue
            self.log_change(request, account, gettext("Webhook registered: %(url)s") % {"url": url})
            self.message_user(
                request,
                gettext("%(name)s: Telegram now sends updates to %(url)s")
                % {"name": account.name, "url": url},
                messages.SUCCESS,
            )

    @admin.action(description=_("Rotate webhook secret"))
    def rotate_secret(self, request, queryset) -> None:
        for account in queryset:
            secret = services.channel_account_rotate_secret(account=account)
            self.log_change(request, account, gettext("Webhook secret rotated."))
            self._show_secret_once(request, account, secret)
            self.message_user(
                request,
                gettext("%(name)s: register the webhook again, or Telegram's updates are refused.")
                % {"name": account.name},
                messages.WARNING,
            )


@admin.register(InboundEvent)
class InboundEventAdmin(admin.ModelAdmin):
    """Every provider request as received; read only. Failed ones can be processed again."""

    list_display = ["provider_event_id", "account", "received_at", "processed_at", "attempts"]
    list_filter = ["account", ("processed_at", admin.EmptyFieldListFilter)]
    list_select_related = ["account"]
    search_fields = ["provider_event_id", "error"]
    date_hierarchy = "received_at"
    actions = ["process_again"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Process again"), permissions=["view"])
    def process_again(self, request, queryset) -> None:
        count = services.inbound_events_retry(events=queryset)
        self.message_user(
            request, gettext("%(count)d events will be processed again.") % {"count": count}
        )


@admin.register(OutboundDelivery)
class OutboundDeliveryAdmin(admin.ModelAdmin):
    """Replies on their way to providers, with their attempts and reasons; read only."""

    list_display = ["message", "account", "status", "attempts", "error_code", "sent_at"]
    list_filter = ["status", "account"]
    list_select_related = ["account", "message"]
    raw_id_fields = ["message"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
