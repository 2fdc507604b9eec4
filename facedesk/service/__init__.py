"""facedesk.service layer."""
