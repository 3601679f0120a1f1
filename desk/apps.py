from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class DeskConfig(AppConfig):
    name = "desk"
    verbose_name = _("Workspace and knowledge base")

    def ready(self) -> None:
        from desk import celery  # noqa: F401  (makes the Celery app current for shared tasks)
        from desk.kernel.roles import roles_sync_after_migrate

        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="desk.roles_sync")
