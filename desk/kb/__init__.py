"""The knowledge base: search (`search.py`), what agents and customers may read
(`selectors.py`), and the workspace's API (`api.py`); the widget's self-service help
(`widget_api.py`) with its views and deflection (`deflection.py`); drafts from resolved tickets
(`drafts.py`). Articles are edited in the admin."""
