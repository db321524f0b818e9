"""Domain services: plain code with no web or dialogue imports."""
