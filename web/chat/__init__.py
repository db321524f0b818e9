"""The patient chat page: static HTML, JS and CSS served by assistant.api.web."""
