"""Canned replies in the composer: which an agent may use (selectors), their ranking by topic
(topics), variables filled from the customer and the ticket (rendering), usage counts and an
agent's personal replies (services), and the REST API (api, serializers)."""
