"""Learned question-to-SQL: sketches, linking features, linear models and a neighbour index from Spider train."""
