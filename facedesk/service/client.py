"""``facedesk.client()``: boto3's Rekognition client, answered locally.

Same method names, keyword arguments, response dicts and exception names as
``boto3.client("rekognition")``; requests are validated against Rekognition's model
before any work is done.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from facedesk.config import default_database
from facedesk.core import errors
from facedesk.service import operations as ops
from facedesk.service.context import ServiceContext
from facedesk.service.validation import validate_request

if TYPE_CHECKING:
    from facedesk.service.library import Library
    from facedesk.service.people import PeopleGroups

Operation = Callable[[ServiceContext, dict[str, Any]], dict[str, Any]]

_PAGINATED = {
    "list_collections": ("NextToken", "NextToken", "MaxResults"),
    "list_faces": ("NextToken", "NextToken", "MaxResults"),
    "list_users": ("NextToken", "NextToken", "MaxResults"),
}


def _operations() -> dict[str, tuple[str, Operation]]:
    from facedesk.service import search, users

    return {
        "create_collection": ("CreateCollection", ops.create_collection),
        "delete_collection": ("DeleteCollection", ops.delete_collection),
        "list_collections": ("ListCollections", ops.list_collections),
        "describe_collection": ("DescribeCollection", ops.describe_collection),
        "index_faces": ("IndexFaces", ops.index_faces),
        "list_faces": ("ListFaces", ops.list_faces),
        "delete_faces": ("DeleteFaces", ops.delete_faces),
        "detect_faces": ("DetectFaces", ops.detect_faces),
        "search_faces": ("SearchFaces", search.search_faces),
        "search_faces_by_image": ("SearchFacesByImage", search.search_faces_by_image),
        "compare_faces": ("CompareFaces", search.compare_faces),
        "create_user": ("CreateUser", users.create_user),
        "delete_user": ("DeleteUser", users.delete_user),
        "list_users": ("ListUsers", users.list_users),
        "associate_faces": ("AssociateFaces", users.associate_faces),
        "disassociate_faces": ("DisassociateFaces", users.disassociate_faces),
        "search_users": ("SearchUsers", users.search_users),
        "search_users_by_image": ("SearchUsersByImage", users.search_users_by_image),
    }


class Paginator:
    """boto3-style paginator for the List* operations."""

    def __init__(self, client: Client, method: str) -> None:
        self._call = getattr(client, method)
        self._tokens = _PAGINATED[method]

    def paginate(self, **kwargs: Any) -> Iterator[dict[str, Any]]:
        token_in, token_out, _ = self._tokens
        while True:
            page = self._call(**kwargs)
            yield page
            if token_out not in page:
                return
            kwargs[token_in] = page[token_out]


class Client:
    """A Rekognition client over a local facedesk database."""

    exceptions = SimpleNamespace(ClientError=errors.ClientError, **errors.ALL_ERRORS)

    def __init__(
        self,
        database: str | None = None,
        *,
        detector: str = "hog",
        store_thumbnails: bool = False,
        face_model_version: str | None = None,
    ) -> None:
        """``face_model_version``: facedesk's extension, the FaceModelVersion of the
        collections this client creates and of DetectFaces/CompareFaces ("1.0" HOG or
        "7.0" libfacedetection); default the newest this installation runs. Collections
        always keep the version they were created with."""
        if face_model_version is not None:
            from facedesk.engine.versions import check_version

            check_version(face_model_version)
        if detector not in ("hog", "cnn"):
            raise ValueError(f"detector must be 'hog' or 'cnn', not {detector!r}")
        self._ctx = ServiceContext(
            database_url=str(database or default_database()),
            detector=detector,
            store_thumbnails=store_thumbnails,
            model_version=face_model_version,
        )
        self._ops = _operations()
        self._library: Library | None = None

    @property
    def context(self) -> ServiceContext:
        return self._ctx

    @property
    def library(self) -> Library:
        """App-level queries beyond Rekognition (photos, thumbnails, batch indexing)."""
        if self._library is None:
            from facedesk.service.library import Library

            self._library = Library(self._ctx)
        return self._library

    @property
    def people(self) -> PeopleGroups:
        """facedesk's people beyond Rekognition's users: groups of unnamed faces,
        suggestions, display names, merge, undo (``facedesk.service.people``)."""
        from facedesk.service.people import PeopleGroups

        return PeopleGroups(self._ctx)

    def close(self) -> None:
        self._ctx.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, kwargs: dict[str, Any]) -> dict[str, Any]:
        name, function = self._ops[method]
        try:
            params = validate_request(name, kwargs)
            response = function(self._ctx, params)
        except errors.ClientError as exc:
            raise exc.with_operation(name) from None
        response["ResponseMetadata"] = {
            "RequestId": str(uuid.uuid4()),
            "HTTPStatusCode": 200,
            "HTTPHeaders": {},
            "RetryAttempts": 0,
        }
        return response

    def can_paginate(self, operation_name: str) -> bool:
        return operation_name in _PAGINATED

    def get_paginator(self, operation_name: str) -> Paginator:
        if operation_name not in _PAGINATED:
            raise ValueError(f"Operation cannot be paginated: {operation_name}")
        return Paginator(self, operation_name)

    # One method per operation, as boto3 names them.
    def create_collection(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("create_collection", kwargs)

    def delete_collection(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("delete_collection", kwargs)

    def list_collections(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("list_collections", kwargs)

    def describe_collection(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("describe_collection", kwargs)

    def index_faces(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("index_faces", kwargs)

    def list_faces(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("list_faces", kwargs)

    def delete_faces(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("delete_faces", kwargs)

    def detect_faces(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("detect_faces", kwargs)

    def search_faces(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("search_faces", kwargs)

    def search_faces_by_image(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("search_faces_by_image", kwargs)

    def compare_faces(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("compare_faces", kwargs)

    def create_user(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("create_user", kwargs)

    def delete_user(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("delete_user", kwargs)

    def list_users(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("list_users", kwargs)

    def associate_faces(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("associate_faces", kwargs)

    def disassociate_faces(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("disassociate_faces", kwargs)

    def search_users(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("search_users", kwargs)

    def search_users_by_image(self, **kwargs: Any) -> dict[str, Any]:
        return self._call("search_users_by_image", kwargs)


def operation_names() -> dict[str, str]:
    """snake_case method -> Rekognition operation name, for the CLI and docs."""
    return {method: name for method, (name, _) in _operations().items()}
