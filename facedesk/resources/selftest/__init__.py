"""The self-test photo (see LICENCE.md): read by facedesk.selftest."""
