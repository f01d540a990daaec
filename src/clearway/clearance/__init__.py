"""Clearance: the pipeline, document linking, the lifecycle state machine and decisions."""
