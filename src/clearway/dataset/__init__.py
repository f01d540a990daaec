"""The canonical e-commerce data set: typed records, identifiers and strict decoding."""
