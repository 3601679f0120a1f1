"""Choices shared by several apps."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Priority(models.IntegerChoices):
    P0 = 0, _("P0 · Urgent")
    P1 = 1, _("P1 · High")
    P2 = 2, _("P2 · Normal")
    P3 = 3, _("P3 · Low")
