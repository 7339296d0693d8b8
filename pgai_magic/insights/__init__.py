"""Automated insights: ranked, explained findings computed by aggregate scans inside PostgreSQL."""

from __future__ import annotations

from pgai_magic.insights.engine import COLUMNS, analyse, find_insights
from pgai_magic.insights.model import Insight
from pgai_magic.insights.request import InsightsRequest

__all__ = ["COLUMNS", "Insight", "InsightsRequest", "analyse", "find_insights"]
