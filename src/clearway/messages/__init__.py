"""The standard messages operators already send, read natively and answered in kind.

One package per family (``upu``, ``eu``, ``cn``). An adapter parses a message, maps it to the
canonical records the JSON API takes (``dataset.records``) and reports what it could not map, in the
message's own terms (an XPath, or an EDIFACT segment and element) beside the canonical JSON pointer.
It never stores anything: the application layer (``app.messages``) keeps the original bytes and runs
the canonical records through the same pipeline as JSON, so a message and its JSON twin end alike.
"""
