"""Automated insights: ranked, explained findings computed by aggregate scans inside PostgreSQL."""

from __future__ import annotations

from pgai_magic.insights.engine import COLUMNS, analyse, find_insights
from pgai_magic.insights.model import Insight

__all__ = ["COLUMNS", "Insight", "analyse", "find_insights"]
