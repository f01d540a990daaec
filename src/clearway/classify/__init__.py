"""HS classification: suggest the HS code of goods from a marketplace description (docs/classification.md)."""
