"""PyInstaller entry of the console ``facedesk-cli`` executable (no logic): the command
line with ``serve`` plugged in, as the composition root (facedesk.app) does."""

from facedesk.cli import main
from facedesk.serve import COMMAND as SERVE

raise SystemExit(main(extra=[SERVE]))
