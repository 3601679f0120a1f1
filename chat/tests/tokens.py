"""Visitor tokens made in the past, for the tests of expiry."""

import time

from django.core import signing

from chat.widget import sessions as widget_sessions


def token_made_ago(visitor, seconds):
    """A token of `visitor` signed `seconds` ago."""
    real = time.time
    signing.time.time = lambda: real() - seconds
    try:
        return widget_sessions.visitor_token(visitor)
    finally:
        signing.time.time = real
