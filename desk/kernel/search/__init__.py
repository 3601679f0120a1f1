"""Full-text search shared by every feature that searches text: segmentation of Chinese and
English into index terms (`text.py`), highlighted snippets (`snippets.py`), and one index on
either database (`backends.py`: PostgreSQL full-text search or SQLite FTS5, chosen by vendor).
The knowledge base (`desk.kb.search`) is the first user; message and ticket search reuse it with
their own `FullTextIndex`. docs/architecture.md, "Knowledge base search"."""
