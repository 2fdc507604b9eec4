"""Menus and shortcuts from one declarative table (napari's app-model idea, small)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu


@dataclass(frozen=True)
class ActionSpec:
    id: str
    menu: str
    text: str
    shortcuts: tuple[str, ...]
    handler: str  # method name on the commands object
    checkable: bool = False
    checked: bool = False
    separator_before: bool = False


ACTIONS: tuple[ActionSpec, ...] = (
    ActionSpec("open_library", "&File", "Open &library…", ("Ctrl+Shift+L",), "open_library"),
    ActionSpec(
        "add_photos",
        "&File",
        "&Add photos…",
        ("Ctrl+O",),
        "add_photos",
        separator_before=True,
    ),
    ActionSpec("add_folder", "&File", "Add a &folder…", ("Ctrl+Shift+O",), "add_folder"),
    ActionSpec("index_options", "&File", "Indexing &options…", (), "edit_index_options"),
    ActionSpec(
        "export_xmp",
        "&File",
        "&Export face regions (XMP)…",
        (),
        "export_xmp",
        separator_before=True,
    ),
    ActionSpec("import_xmp", "&File", "&Import face regions (XMP)…", (), "import_xmp"),
    ActionSpec(
        "new_collection",
        "&File",
        "&New collection…",
        ("Ctrl+N",),
        "new_collection",
        separator_before=True,
    ),
    ActionSpec("rename_collection", "&File", "&Rename collection…", ("F2",), "rename_collection"),
    ActionSpec("delete_collection", "&File", "Delete collection…", (), "delete_collection"),
    ActionSpec("quit", "&File", "&Quit", ("Ctrl+Q",), "quit", separator_before=True),
    ActionSpec("undo", "&Edit", "&Undo", ("Ctrl+Z",), "undo"),
    ActionSpec("redo", "&Edit", "&Redo", ("Ctrl+Shift+Z", "Ctrl+Y"), "redo"),
    ActionSpec(
        "delete_faces", "&Edit", "&Delete selected faces…", ("Delete",), "delete_selected_faces"
    ),
    ActionSpec("draw_face", "&Edit", "&Draw a face on the photo", ("D",), "draw_face"),
    ActionSpec("find", "&Edit", "&Filter", ("Ctrl+F",), "focus_filter"),
    ActionSpec("search_photo", "&Edit", "&Search by photo…", ("Ctrl+Shift+F",), "search_by_photo"),
    ActionSpec(
        "new_person",
        "&Edit",
        "New &person from selected faces…",
        ("Ctrl+P",),
        "new_person",
        separator_before=True,
    ),
    ActionSpec("show_photos", "&View", "&Photos", ("Ctrl+1",), "show_photos"),
    ActionSpec("show_faces", "&View", "&Faces", ("Ctrl+2",), "show_faces"),
    ActionSpec("show_viewer", "&View", "Photo &viewer", ("Ctrl+3",), "show_viewer"),
    ActionSpec("show_people", "&View", "P&eople", ("Ctrl+4",), "show_people"),
    ActionSpec(
        "previous_photo",
        "&View",
        "P&revious photo",
        ("Ctrl+Left",),
        "previous_photo",
        separator_before=True,
    ),
    ActionSpec("next_photo", "&View", "&Next photo", ("Ctrl+Right",), "next_photo"),
    ActionSpec(
        "zoom_in", "&View", "Zoom &in", ("+", "=", "Ctrl++"), "zoom_in", separator_before=True
    ),
    ActionSpec("zoom_out", "&View", "Zoom &out", ("-", "Ctrl+-"), "zoom_out"),
    ActionSpec("zoom_fit", "&View", "Zoom to &fit", ("0",), "zoom_fit"),
    ActionSpec(
        "toggle_overlays",
        "&View",
        "Show face &overlays",
        ("Space",),
        "toggle_overlays",
        checkable=True,
        checked=True,
    ),
    ActionSpec(
        "toggle_landmarks",
        "&View",
        "Show &landmarks",
        ("L",),
        "toggle_landmarks",
        checkable=True,
        checked=True,
    ),
    ActionSpec("about", "&Help", "&About facedesk", (), "about"),
)


def build_actions(
    window: QMainWindow, commands: Any, specs: tuple[ActionSpec, ...] = ACTIONS
) -> dict[str, QAction]:
    """Create the QActions, add them to the menu bar and to the window (for shortcuts)."""
    menus: dict[str, QMenu] = {}
    actions: dict[str, QAction] = {}
    for spec in specs:
        menu = menus.get(spec.menu)
        if menu is None:
            menu = menus[spec.menu] = window.menuBar().addMenu(spec.menu)
        if spec.separator_before:
            menu.addSeparator()
        action = QAction(spec.text, window)
        action.setObjectName(spec.id)
        action.setShortcuts([QKeySequence(s) for s in spec.shortcuts])
        if spec.checkable:
            action.setCheckable(True)
            action.setChecked(spec.checked)
        action.triggered.connect(getattr(commands, spec.handler))
        menu.addAction(action)
        window.addAction(action)
        actions[spec.id] = action
    return actions
