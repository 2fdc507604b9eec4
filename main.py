"""PyInstaller entry point: the app, nothing else."""

from facedesk.app import main

if __name__ == "__main__":
    raise SystemExit(main())
