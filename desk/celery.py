"""The Celery app: broker and beat schedule come from Django settings (`CELERY_*`)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "desk.settings")

app = Celery("unidesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# desk.kernel.tasks (domain events), desk.kb.tasks (KB view settling), chat.channels.tasks
# (provider channels)
app.autodiscover_tasks(["desk.kernel", "desk.kb", "chat.channels"])
