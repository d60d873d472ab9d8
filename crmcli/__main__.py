"""The `crmcli` command's entry point (and `python -m crmcli`).

`crmcli --version` is answered here, before typer and the command table load: that
import alone costs about one more interpreter start-up (issue 17 item 3). Everything
else, `--version` among other arguments included, goes to `crmcli.cli.main`, so the
answer and its exit status stay the ones typer would give.
"""

import gc
import os
import sys

from crmcli import __version__

# Set by a shell asking typer to complete a word: typer must answer, whatever follows.
COMPLETION_VARIABLE = "_CRMCLI_COMPLETE"


def main() -> None:
    """Console-script entry point."""
    if sys.argv[1:] == ["--version"] and COMPLETION_VARIABLE not in os.environ:
        try:
            print(f"crmcli {__version__}", flush=True)
        except BrokenPipeError:  # `crmcli --version | true`: as quiet as every other command
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return
    # Start-up makes some hundred thousand objects and frees almost none: the cyclic
    # collector would walk them ~50 times for nothing (3 % of a `due`). It is paused
    # until the command's code is loaded (`crmcli.cli.CrmGroup.resolve_command`).
    gc.disable()
    from crmcli.cli import main as run  # the whole CLI: typer, the commands, the handlers

    run()


if __name__ == "__main__":
    main()
