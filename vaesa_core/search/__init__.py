"""Search spaces and the optimizer interface."""

from vaesa_core.search.optimizer import Optimizer, SearchContext
from vaesa_core.search.search_space import OriginalSpace, SearchSpace

__all__ = ["Optimizer", "OriginalSpace", "SearchContext", "SearchSpace"]
