"""Dialogue: tracker snapshots, the dispatcher, the form loop and the manager that picks one action."""
