"""Skills as rasa-sdk actions: read the tracker snapshot, call services, utter, return events."""
