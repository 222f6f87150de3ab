"""Django-free rules of HallOps."""
