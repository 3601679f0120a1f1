"""The customer's side of tickets in the widget: a ticket's state, its rating (CSAT) and the menu
(转工单 way 3), under /api/widget/v1/ with the widget's visitor token (chat/widget/api.py), and the
menu in the widget's site config (registered in tickets/apps.py).

tickets sits above chat, so these endpoints live here and use chat's widget authentication; chat
never imports tickets (CONTRIBUTING.md, "Layers").
"""
