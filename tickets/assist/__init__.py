"""Offline assistance (issue 13): a category classifier trained from the project's own resolved
tickets with keyword fallback (classifier.py, keywords.py), the routing detector and message
handler that use it (handlers.py), and the extractive summary for 转工单 (summary.py)."""
