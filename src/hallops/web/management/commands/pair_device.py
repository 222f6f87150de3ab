"""``hallops pair_device <hall> <kind> [--counter N] [--name NAME] [--by USERNAME]``: add a device, print its code.

The code is entered once on the device at /pair/ (valid for 15 minutes). The same is done from the hall's
devices page by a manager.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from hallops.accounts.devices import PAIRING_MINUTES, device_create
from hallops.errors import DomainError
from hallops.organisation.access import actor_for_user
from hallops.organisation.models import Hall


class Command(BaseCommand):
    help = "Add a kiosk, display or rating pad to a hall and print its one-time pairing code."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("hall", help="hall code, e.g. ty01")
        parser.add_argument("kind", choices=["kiosk", "display", "rating_pad"])
        parser.add_argument("--counter", type=int, default=None, help="the counter number (rating pads)")
        parser.add_argument("--name", default="")
        parser.add_argument("--by", default=None, help="the manager or administrator adding it (default: a superuser)")

    def handle(self, *args: Any, **options: Any) -> None:
        hall = Hall.objects.filter(code=options["hall"]).first()
        if hall is None:
            raise CommandError(f"no hall {options['hall']!r}")
        users = get_user_model().objects
        user = (
            users.filter(username=options["by"]).first() if options["by"] else users.filter(is_superuser=True).first()
        )
        if user is None:
            raise CommandError("no such user to add the device (use --by USERNAME)")
        actor = actor_for_user(user, session_ref="cli")
        try:
            device, code = device_create(
                actor=actor, hall=hall, kind=options["kind"], name=options["name"], counter_number=options["counter"]
            )
        except DomainError as exc:
            raise CommandError(f"{exc.field}: {exc.message}" if exc.field else exc.message) from None
        self.stdout.write(f"device {device.pk} ({device.kind}) in {hall.code}: pairing code {code}")
        self.stdout.write(f"enter it at /pair/ on the device within {PAIRING_MINUTES} minutes")
