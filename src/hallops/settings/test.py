"""Test settings: fast password hashing, jobs run immediately, in-memory channel layer."""

from .base import *  # noqa: F403
from .base import HUEY

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
HUEY = {**HUEY, "immediate": True}
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
HALLOPS_AUTH_CACHE_SECONDS = 0  # tests change roles and tokens between requests
