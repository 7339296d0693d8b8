"""In-database inference: scikit-learn models compiled to SQL functions, with registry, training and monitoring.

Built from a Database. May import `cell`, `setup`, `catalog`, `db`, `sqltext` and the leaves; never another
capability, the session or the magic.
"""

from __future__ import annotations

from pgai_magic.inference.compile import SUPPORTED, CompiledModel, compile_model

__all__ = ["SUPPORTED", "CompiledModel", "compile_model"]
