"""The ``hallops`` command: Django's management commands plus ours.

Commands of the Django-free core (kpi, erlang, staffing, simulate, forecast, roster, dispatch) are dispatched
here before Django is imported, so that they run without a database.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from hallops.forecast_cli import FORECAST_COMMANDS  # forecast, roster: core only, imported on use
from hallops.planning_cli import PLANNING_COMMANDS  # erlang, staffing, simulate: core only


def _kpi(argv: list[str]) -> int:
    from hallops.kpi_cli import main as kpi_main  # imported on use: other commands do not pay for it

    return kpi_main(argv)


CORE_COMMANDS: dict[str, Callable[[list[str]], int]] = {**PLANNING_COMMANDS, **FORECAST_COMMANDS, "kpi": _kpi}
#: hyphenated names of Django management commands (a module name cannot have a hyphen)
COMMAND_ALIASES = {"import-history": "import_history"}


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv if argv is None else argv)
    if len(args) > 1 and args[1] == "forecast" and any(a == "--hall" or a.startswith("--hall=") for a in args[2:]):
        args[1] = "forecast_hall"  # a hall's forecast reads its records from the database (planning app)
    if len(args) > 1 and args[1] in CORE_COMMANDS:
        try:
            status = CORE_COMMANDS[args[1]](args[2:])
            sys.stdout.flush()
        except BrokenPipeError:
            # The reader went away (e.g. `hallops kpi … | head`): not an error of ours, and no traceback.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            status = 0
        raise SystemExit(status)
    if len(args) > 1 and args[1] in COMMAND_ALIASES:
        args[1] = COMMAND_ALIASES[args[1]]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hallops.settings.dev")
    from django.core.management import execute_from_command_line

    execute_from_command_line(args)


if __name__ == "__main__":
    main()
