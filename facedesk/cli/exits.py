"""The command line's exit codes, in one place: the AWS CLI v2's, plus the batch's own."""

from __future__ import annotations

from typing import Final

EXIT_FILES_FAILED: Final = 1  # a batch tried every file; at least one is an "error" line
EXIT_USAGE: Final = 252  # the command line itself is wrong (AWS CLI v2's code)
EXIT_SERVICE_ERROR: Final = 254  # Rekognition's errors (AWS CLI v2's code)
EXIT_ERROR: Final = 255  # AWS CLI v2: any other failure
