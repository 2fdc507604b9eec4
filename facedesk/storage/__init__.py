"""facedesk.storage layer."""
