"""PyInstaller entry of the ``facedesk`` executable (no logic: Friture's main.py).

On Linux and macOS ``facedesk-cli`` is a symlink to this executable (one bootloader and
archive instead of two, see facedesk.spec): called by that name it is the command line,
with the ``serve`` subcommand plugged in as the composition root (facedesk.app) does.
"""

import os
import sys

if sys.argv and os.path.splitext(os.path.basename(sys.argv[0]))[0] == "facedesk-cli":
    from facedesk.cli import main as cli_main
    from facedesk.serve import COMMAND as SERVE

    raise SystemExit(cli_main(extra=[SERVE]))

from facedesk.app import main

raise SystemExit(main())
