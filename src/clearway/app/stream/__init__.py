"""Records from a stream (Kafka) through the same services as the API and `clearway ingest`."""
