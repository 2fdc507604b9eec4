"""PyInstaller entry of the console ``facedesk-cli`` executable (no logic)."""

from facedesk.cli import main

raise SystemExit(main())
