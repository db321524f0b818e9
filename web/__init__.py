"""Static web pages served by assistant.api.web: ``chat/`` (the patient chat page) and ``console/``."""
