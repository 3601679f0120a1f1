"""Fixtures for the ticket tests: realtime pushes are recorded instead of sent."""

import pytest

from desk.kernel import realtime


@pytest.fixture
def published(monkeypatch) -> list[tuple[list[str], dict]]:
    """Every `(groups, event)` that `desk.kernel.realtime` sends after commit, in order.

    Pair with `django_capture_on_commit_callbacks(execute=True)`: a plain `django_db` test never
    commits, so the callbacks run only when captured."""
    sent: list[tuple[list[str], dict]] = []
    monkeypatch.setattr(realtime, "send_many", sent.extend)
    return sent
