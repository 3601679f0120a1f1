"""Search shared by every feature that searches text: segmentation of Chinese and English into
index terms (`text.py`), highlighted snippets (`snippets.py`), reading a term index of postings
(`postings.py`: the knowledge base's and the messages'), and a full-text index on either
database (`backends.py`: PostgreSQL full-text search or SQLite FTS5, chosen by vendor; tickets).
docs/architecture.md, "Knowledge base search" and "Message and ticket search"."""
