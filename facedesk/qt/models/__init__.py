"""Qt item models over plain dataclasses (adapt only: no service calls here)."""
