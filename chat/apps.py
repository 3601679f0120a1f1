from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = _("Customers and conversations")

    def ready(self) -> None:
        from chat import errors  # noqa: F401  (chat's refusals in the one error table)
