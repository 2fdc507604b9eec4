"""Runtime assets shipped inside the package (found through importlib.resources)."""
