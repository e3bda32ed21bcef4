"""Payment -> invoice rules (rule_catalog/payments.yaml): reference-led rules first, then
the fallbacks. Importing the package registers every matcher."""

from reconkit.matchers.payments import fallbacks, party_gaps, references

__all__ = ["fallbacks", "party_gaps", "references"]
