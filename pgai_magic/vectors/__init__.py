"""Embedded columns in pgvector: side tables, sync triggers and queue, workers, similarity search.

Built from a Database and an Embedder. May import `embed`, `cell`, `setup`, `catalog`, `db`, `sqltext` and the
leaves; never another capability, the session or the magic.
"""
