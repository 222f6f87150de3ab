"""Local/demo settings: the base settings with DEBUG off (demo behaves like production, minus HTTPS)."""

from .base import *  # noqa: F403
