"""Widgets: arrange and forward intents; no service calls, no business logic."""
