"""The knowledge base: search (`search.py`), what agents and customers may read
(`selectors.py`), and the workspace's API (`api.py`). Articles are edited in the admin."""
