"""Simulators of the Django-free core (seeded, no global state)."""
