"""Feature views and point-in-time training sets (Feast's words): named, versioned queries of an entity's features
over time, and the as-of join that gives each label row the features known at its time, computed in PostgreSQL.

    pgai_magic.features
    ├── views     FeatureView, ViewRequest: define / get / list / drop in pgai.feature_views (versioned)
    ├── request   TrainingSetRequest and the `--features view@version:feature` references
    ├── asof      the as-of join as SQL: the lateral and the sweep plans, the planner's choice, index advice
    └── store     FeatureStore (`session.features`): the capability, and TrainingSet / TrainingQuery

Built from a ServerState. May import `cell`, `setup`, `catalog`, `db`, `sqltext` and the leaves; never another
capability, the session or the magic.
"""

from __future__ import annotations

from pgai_magic.features.request import FeatureRef, TrainingSetRequest
from pgai_magic.features.views import FeatureView, ViewRequest

__all__ = ["FeatureRef", "FeatureView", "TrainingSetRequest", "ViewRequest"]
