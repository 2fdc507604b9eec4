"""Errors named as Rekognition names them, shaped like botocore's ClientError.

``err.response == {"Error": {"Code": "InvalidParameterException", "Message": "..."}}``
so code written against boto3 (``except client.exceptions.X``, ``e.response["Error"]["Code"]``)
works unchanged. When botocore is installed, the root class also subclasses
``botocore.exceptions.ClientError``, so ``except botocore.exceptions.ClientError`` written for
boto3 catches facedesk's in-process errors too; without botocore it is a plain Exception.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    _Base = Exception
else:
    try:  # optional: facedesk does not need botocore, but code written for boto3 catches it
        from botocore.exceptions import ClientError as _Base
    except ImportError:  # pragma: no cover - exercised by the no-botocore test in a subprocess
        _Base = Exception


class ClientError(_Base):
    """Root of every error facedesk raises on purpose."""

    code = "ClientError"
    default_message = "An error occurred."

    def __init__(self, message: str | None = None, operation_name: str | None = None) -> None:
        self.message = message or self.default_message
        self.operation_name = operation_name
        self.response: dict[str, Any] = {
            "Error": {"Code": self.code, "Message": self.message},
        }
        # Not botocore's __init__: it builds the same text from (response, operation_name),
        # but the signature here is facedesk's (message first), which every raise site uses.
        Exception.__init__(self, self._text())

    def __reduce__(self) -> tuple[Any, ...]:
        # botocore's __reduce__ would rebuild a plain botocore ClientError; keep our class.
        return type(self), (self.message, self.operation_name)

    def _text(self) -> str:
        where = f" when calling the {self.operation_name} operation" if self.operation_name else ""
        return f"An error occurred ({self.code}){where}: {self.message}"

    def with_operation(self, operation_name: str) -> ClientError:
        self.operation_name = operation_name
        self.args = (self._text(),)
        return self


class InvalidParameterException(ClientError):
    code = "InvalidParameterException"
    default_message = "Request has invalid parameters."


class InvalidImageFormatException(ClientError):
    code = "InvalidImageFormatException"
    default_message = "Request has invalid image format."


class ImageTooLargeException(ClientError):
    code = "ImageTooLargeException"
    default_message = "Image size is too large."


class InvalidS3ObjectException(ClientError):
    code = "InvalidS3ObjectException"
    default_message = "S3 objects are not supported by facedesk; pass Image={'Bytes': ...}."


class ResourceNotFoundException(ClientError):
    code = "ResourceNotFoundException"
    default_message = "The resource was not found."


def collection_not_found(collection_id: str) -> ResourceNotFoundException:
    """Rekognition's error for an unknown CollectionId: the one place its message is written."""
    return ResourceNotFoundException(f"The collection id: {collection_id} does not exist")


class ResourceAlreadyExistsException(ClientError):
    code = "ResourceAlreadyExistsException"
    default_message = "The resource already exists."


class InvalidPaginationTokenException(ClientError):
    code = "InvalidPaginationTokenException"
    default_message = "Invalid Pagination Token"


class ServiceQuotaExceededException(ClientError):
    code = "ServiceQuotaExceededException"
    default_message = "The size of the collection exceeds the allowed limit."


class ConflictException(ClientError):
    code = "ConflictException"
    default_message = "The request conflicts with the resource's state."


class IdempotentParameterMismatchException(ClientError):
    code = "IdempotentParameterMismatchException"
    default_message = "The ClientRequestToken you have supplied is already in use."


class AccessDeniedException(ClientError):
    code = "AccessDeniedException"
    default_message = "You are not authorized to perform the action."


class InternalServerError(ClientError):
    code = "InternalServerError"
    default_message = "Amazon Rekognition experienced a service issue."


class ThrottlingException(ClientError):
    code = "ThrottlingException"
    default_message = "Slow down."


class ProvisionedThroughputExceededException(ClientError):
    code = "ProvisionedThroughputExceededException"
    default_message = "Provisioned Rate exceeded."


ALL_ERRORS: dict[str, type[ClientError]] = {
    cls.code: cls
    for cls in (
        InvalidParameterException,
        InvalidImageFormatException,
        ImageTooLargeException,
        InvalidS3ObjectException,
        ResourceNotFoundException,
        ResourceAlreadyExistsException,
        InvalidPaginationTokenException,
        ServiceQuotaExceededException,
        ConflictException,
        IdempotentParameterMismatchException,
        AccessDeniedException,
        InternalServerError,
        ThrottlingException,
        ProvisionedThroughputExceededException,
    )
}
