"""Notebook workflow: data in and out (persist, load, unload), looking around, plots, plans, snippets.

Functions over a Database. May import `cell`, `setup`, `catalog`, `db`, `sqltext` and the leaves; never another
capability, the session or the magic.
"""
