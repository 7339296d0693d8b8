"""In-database inference: scikit-learn models compiled to SQL functions, with registry, training and monitoring."""

from __future__ import annotations

from pgai_magic.inference.compile import SUPPORTED, CompiledModel, compile_model

__all__ = ["SUPPORTED", "CompiledModel", "compile_model"]
