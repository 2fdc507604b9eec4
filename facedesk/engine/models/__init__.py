"""Vendored model files (see NOTICE.md for provenance, hashes and licences)."""
