"""The tamper-evident audit trail: a hash chain over every state change and decision."""
