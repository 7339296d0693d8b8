"""Learned natural-language to SQL: sketches, schema linking features, linear models and a neighbour index (trained on Spider train)."""
