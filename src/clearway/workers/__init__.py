"""Stream consumers (Kafka) that run the application's services as separate processes."""
