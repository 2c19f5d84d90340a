"""The ``kortisto`` command: the app, and the batch commands beside it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from tui.i18n import _, set_language


def _common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        default=argparse.SUPPRESS,
        help=_("database URL (default: $KORTISTO_DATABASE_URL or the user's register)"),
    )
    common.add_argument(
        "--lang",
        metavar="LANG",
        default=argparse.SUPPRESS,
        help=_("language of the interface: fi or en (default: $KORTISTO_LANG or fi)"),
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    common = _common_options()
    parser = argparse.ArgumentParser(
        prog="kortisto",
        description=_("Customer and subscription register."),
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    importing = commands.add_parser(
        "import", parents=[common], help=_("import a register export (CSV)")
    )
    importing.add_argument("file", metavar="FILE", help=_("the export file"))
    importing.add_argument(
        "--skip-invalid",
        action="store_true",
        help=_("import the valid rows and write the rejected ones to a file"),
    )

    invoice_run = commands.add_parser(
        "invoice-run",
        parents=[common],
        help=_("bill every subscription period due by a date (for cron)"),
    )
    invoice_run.add_argument(
        "--date",
        metavar="D",
        required=True,
        help=_("bill the periods that start by this date, e.g. 31.1.2027"),
    )
    invoice_run.add_argument(
        "--dry-run",
        action="store_true",
        help=_("print what would be billed and write nothing"),
    )

    demo = commands.add_parser(
        "demo", parents=[common], help=_("make a demo register and open the app")
    )
    demo.add_argument(
        "--customers",
        type=int,
        metavar="N",
        default=None,
        help=_("how many customers to generate (default 2000)"),
    )
    demo.add_argument(
        "--fresh", action="store_true", help=_("make the demo register anew")
    )

    nightly = commands.add_parser(
        "nightly",
        parents=[common],
        help=_("apply the address changes due for the night (for cron)"),
    )
    nightly.add_argument(
        "--date",
        metavar="D",
        default=None,
        help=_("the night before this date (default: today), e.g. 1.7.2027"),
    )

    operator = commands.add_parser(
        "operator", parents=[common], help=_("list, add or stop operators (admins)")
    )
    operator.add_argument(
        "action",
        choices=["list", "add", "stop", "restore"],
        help=_("what to do"),
    )
    operator.add_argument(
        "login", nargs="?", metavar="LOGIN", help=_("the operator's OS login name")
    )
    operator.add_argument("--name", default="", help=_("the operator's full name"))
    operator.add_argument(
        "--admin", action="store_true", help=_("may keep the settings and operators")
    )
    operator.add_argument(
        "--salesperson", action="store_true", help=_("sells ads to customers")
    )

    delivery_list = commands.add_parser(
        "delivery-list",
        parents=[common],
        help=_("write the delivery lists of a day: one per bundle, one for post"),
    )
    delivery_list.add_argument(
        "--date", metavar="D", required=True, help=_("the delivery date")
    )
    delivery_list.add_argument(
        "--out", metavar="DIR", required=True, help=_("the directory for the lists")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kortisto`` with ``argv``; returns the exit status."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    # The language must be set before the parser's help texts are made.
    language = _language_argument(arguments)
    try:
        set_language(language)
    except ValueError:
        print(f"kortisto: unknown language {language!r} (fi, en)", file=sys.stderr)
        return 2
    options = build_parser().parse_args(arguments)
    url = getattr(options, "db", None)

    if options.command == "import":
        from tui.commands.import_register import run_import

        return asyncio.run(run_import(options.file, url, options.skip_invalid))
    if options.command == "invoice-run":
        from tui.commands.invoice_run import run_invoice_run

        return asyncio.run(run_invoice_run(url, options.date, options.dry_run))
    if options.command == "demo":
        from tui.commands.demo import run_demo

        return run_demo(url, options.customers, options.fresh)
    if options.command == "nightly":
        from tui.commands.nightly import run_nightly_command

        return asyncio.run(run_nightly_command(url, options.date))
    if options.command == "operator":
        if options.action != "list" and not options.login:
            print(
                _("kortisto operator {action}: give the LOGIN").format(
                    action=options.action
                ),
                file=sys.stderr,
            )
            return 2
        from tui.commands.operators import run_operator_command

        return asyncio.run(
            run_operator_command(
                url,
                options.action,
                options.login,
                name=options.name,
                admin=options.admin,
                salesperson=options.salesperson,
            )
        )
    if options.command == "delivery-list":
        from tui.commands.delivery_list import run_delivery_list

        return asyncio.run(run_delivery_list(url, options.date, options.out))
    from tui.app import run_app

    return run_app(url)


def _language_argument(arguments: Sequence[str]) -> str | None:
    for index, argument in enumerate(arguments):
        if argument == "--lang" and index + 1 < len(arguments):
            return arguments[index + 1]
        if argument.startswith("--lang="):
            return argument.split("=", 1)[1]
    return None


if __name__ == "__main__":
    sys.exit(main())
