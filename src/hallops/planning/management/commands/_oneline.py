"""A management command whose every error is one line on stderr (``hallops plan: --date: …``) and exit 1,
like the core commands (Django's own parser prints the usage and exits 2)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from hallops.errors import DomainError


class OneLineCommand(BaseCommand):
    #: the name shown in errors
    prog = "hallops"
    #: service field name -> command-line option
    options_of: dict[str, str] = {}

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.prog = self.prog
        parser.called_from_command_line = False  # a bad option raises CommandError (printed below)
        return parser

    def fail(self, field: str | None, message: str) -> CommandError:
        option = self.options_of.get(field or "", f"--{field}" if field else "")
        return CommandError(f"{option}: {message}" if option else message)

    def run_from_argv(self, argv: list[str]) -> None:
        self._called_from_command_line = True
        try:
            parser = self.create_parser(argv[0], argv[1])
            options = vars(parser.parse_args(argv[2:]))
            args = options.pop("args", ())
            self.execute(*args, **options)
        except DomainError as exc:
            self._exit(self.fail(exc.field, exc.message))
        except CommandError as exc:
            self._exit(exc)
        finally:
            connections.close_all()

    def _exit(self, exc: CommandError) -> None:
        message = str(exc).removeprefix("Error: ")
        sys.stderr.write(f"{self.prog}: {message}\n")
        sys.exit(1)
