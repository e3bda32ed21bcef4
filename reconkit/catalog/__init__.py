"""The rule catalog: documented, validated matching rules and exception categories."""

from reconkit.catalog.model import Catalog, Category, MatcherSpec, Rule, load_catalog

__all__ = ["Catalog", "Category", "MatcherSpec", "Rule", "load_catalog"]
