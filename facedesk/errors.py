"""Public home of facedesk's exceptions: ``facedesk.errors.InvalidParameterException`` etc."""

from facedesk.core.errors import *  # noqa: F403
from facedesk.core.errors import ALL_ERRORS, ClientError

__all__ = ["ALL_ERRORS", "ClientError", *ALL_ERRORS]
