"""HallOps: service operations for telecom retail halls and field service."""

__version__ = "0.1.0"
