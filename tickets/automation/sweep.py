"""The automation beat sweep (`tickets.tasks.automation_sweep`, every
AUTOMATION_SWEEP_SECONDS): time rules whose hours have passed, then held notices whose team has
opened. Each fires once however many sweepers run (unique execution rows; `SKIP LOCKED` claims)."""

from datetime import datetime

from django.utils import timezone

from tickets.automation.engine import time_rules_sweep
from tickets.automation.notices import held_notices_sweep


def sweep(*, now: datetime | None = None) -> int:
    """Returns how many rules fired plus how many held notices went out."""
    now = now or timezone.now()
    return time_rules_sweep(now=now) + held_notices_sweep(now=now)
