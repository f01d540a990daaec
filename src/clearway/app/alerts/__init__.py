"""Customs-to-customs risk alerts: partners, keys, export and import (docs/alerts.md)."""
