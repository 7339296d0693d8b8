"""Embedded columns in pgvector: side tables, sync triggers and queue, workers, similarity search."""
