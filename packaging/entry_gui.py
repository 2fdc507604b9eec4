"""PyInstaller entry of the windowed ``facedesk`` executable (no logic: Friture's main.py)."""

from facedesk.app import main

raise SystemExit(main())
