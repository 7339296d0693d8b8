"""Notebook workflow: data in and out (persist, load, unload), looking around, plots, plans, snippets."""
