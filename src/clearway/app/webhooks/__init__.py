"""Signed notifications to operators (webhooks): subscriptions, the deliverer, the delivery log."""
