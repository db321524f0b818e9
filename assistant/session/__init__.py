"""Conversations in flight: tracker state, per-session locks, the shared bus observers subscribe to."""
