"""The `netretain` command: a thin face over the library. It parses, calls and prints."""

import sys

import typer

from netretain.cli import (
    analysis_cmd,
    commands,
    connectors_cmd,
    definitions_cmd,
    demo_cmd,
    forecast_cmd,
    info_cmd,
    log_cmd,
    loyalty_cmd,
    maintenance_cmd,
    offers_cmd,
    playbooks_cmd,
    predict_cmd,
    proof_cmd,
    serve_cmd,
)
from netretain.cli.options import INTERRUPTED, missing_extra

app = typer.Typer(
    name="netretain",
    help="Net Dollar Retention, gross retention and the MRR movements behind them.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
commands.register(app)
app.add_typer(definitions_cmd.app, name="definitions")
demo_cmd.register(app)
analysis_cmd.register(app)
serve_cmd.register(app)
predict_cmd.register(app)
playbooks_cmd.register(app)
info_cmd.register(app)
maintenance_cmd.register(app)
forecast_cmd.register(app)
connectors_cmd.register(app)
log_cmd.register(app)
proof_cmd.register(app)
offers_cmd.register(app)
loyalty_cmd.register(app)


def main() -> None:
    """Entry point for the console script; Ctrl-C outside a command (while starting) exits 130,
    and a command whose optional extra is not installed says which to install."""
    try:
        app()
    except KeyboardInterrupt:
        print(INTERRUPTED, file=sys.stderr)
        raise SystemExit(130) from None
    except ModuleNotFoundError as error:
        message = missing_extra(error)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
