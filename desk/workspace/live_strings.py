"""The Live view's strings (static/desk/live.js), as `t.live` in the workspace's #desk-i18n.
Placeholders are Python's `%(name)s`, filled by dom.js `fmt`."""

from django.utils.translation import gettext_lazy as _

LIVE_STRINGS = {
    "waitingCount": _("%(n)s waiting"),
    "more": _("%(n)s more waiting conversations are not listed."),
    "noTeam": _("No team"),
    "chipWaiting": _("%(n)s waiting"),
    "chipLongest": _("longest %(time)s"),
    "chipOnline": _("%(n)s online"),
    "chipFree": _("%(n)s free slots"),
    "assignTo": _("Assign to…"),
    "moveTo": _("Move to team…"),
    "assignLabel": _("Assign %(name)s to an agent"),
    "moveLabel": _("Move %(name)s to a team"),
    "agentOption": _("%(name)s · %(presence)s · %(active)s/%(max)s"),
    "assigned": _("%(customer)s assigned to %(name)s."),
    "moved": _("%(customer)s moved to %(team)s."),
    "refused": _("Not assigned: %(reason)s"),
    "gone": _("That conversation is no longer waiting."),
    "loadFailed": _("The live view could not be loaded. It will try again."),
    "updated": _("Updated %(time)s"),
    "never": _("never"),
    "loadTitle": _("%(active)s of %(max)s conversations"),
}
