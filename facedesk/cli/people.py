"""facedesk's people commands beside the Rekognition ones (registered from cli.py).

``group-faces --collection-id C`` prints the groups of unnamed faces::

    {"FaceGroups": [{"GroupId": "...", "FaceIds": ["..."],
                     "SuggestedUserId": "..." (when a named person matches), "Similarity": 0-100}],
     "UngroupedFaceIds": ["..."]}

``name-face-group --collection-id C --group-id G --user-id U [--display-name "..."]`` makes
the group's faces the person U (created, or extended when it exists) and prints the person.
Both are journalled like the app's actions (``undo-people`` / ``redo-people`` undo them).
"""

from __future__ import annotations

import argparse
from typing import Any, TextIO

GROUP_FACES = "group-faces"
NAME_FACE_GROUP = "name-face-group"
UNDO = "undo-people"
REDO = "redo-people"
COMMANDS = (GROUP_FACES, NAME_FACE_GROUP, UNDO, REDO)


def add_people_commands(sub: Any) -> None:
    p = sub.add_parser(GROUP_FACES, help="groups of unnamed faces (facedesk extension)")
    p.set_defaults(command=GROUP_FACES)
    p.add_argument("--collection-id", required=True)
    p = sub.add_parser(NAME_FACE_GROUP, help="name every face of a group (facedesk extension)")
    p.set_defaults(command=NAME_FACE_GROUP)
    p.add_argument("--collection-id", required=True)
    p.add_argument("--group-id", required=True)
    p.add_argument("--user-id", required=True)
    p.add_argument("--display-name", help="the person's name, any text (default: the UserId)")
    for command, verb in ((UNDO, "undo the last"), (REDO, "redo the last undone")):
        p = sub.add_parser(command, help=f"{verb} people action (facedesk extension)")
        p.set_defaults(command=command)
        p.add_argument("--collection-id", required=True)


def run_people_command(client: Any, args: argparse.Namespace, out: TextIO) -> int:
    from facedesk.cli import output
    from facedesk.service.groups import group_faces_response
    from facedesk.service.validation import validate_request

    cid = args.collection_id
    people = client.people

    def _print_json(data: Any, out: TextIO) -> None:  # --output and --query apply here too
        shaped = output.apply_query(output.jsonable(data), args.query)
        output.write(shaped, args.output, out, title=args.command)

    if args.command == GROUP_FACES:
        validate_request("ListFaces", {"CollectionId": cid})
        _print_json(group_faces_response(people.groups(cid)), out)
        return 0
    if args.command == NAME_FACE_GROUP:
        validate_request("CreateUser", {"CollectionId": cid, "UserId": args.user_id})
        person = people.name_group(
            cid, args.group_id, user_id=args.user_id, display_name=args.display_name
        )
        shown: dict[str, Any] = {"UserId": person.user_id, "FaceCount": person.face_count}
        if person.display_name is not None:
            shown["DisplayName"] = person.display_name
        _print_json(shown, out)
        return 0
    entry = people.undo(cid) if args.command == UNDO else people.redo(cid)
    _print_json({"Action": entry.action, "Summary": entry.summary} if entry else {}, out)
    return 0
