"""The knowledge base's beat task: settling article views (desk/kb/deflection.py)."""

from celery import shared_task

from desk.kb.deflection import SETTLE_BATCH, kb_views_settle

MAX_BATCHES = 20  # per run; the next run (a minute later) takes the rest


@shared_task(name="desk.kb.tasks.kb_views_settle", ignore_result=True)
def kb_views_settle_task() -> int:
    settled = 0
    for _ in range(MAX_BATCHES):
        count = kb_views_settle()
        settled += count
        if count < SETTLE_BATCH:
            break
    return settled
