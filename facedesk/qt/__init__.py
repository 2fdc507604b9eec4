"""facedesk.qt layer."""
