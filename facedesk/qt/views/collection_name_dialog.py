"""Name a collection in words; the CollectionId made from them is shown as it is typed."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QWidget,
)

from facedesk.core.names import collection_id_from_name, normalise_display_name


class CollectionNameDialog(QDialog):
    def __init__(
        self,
        taken: Collection[str],
        parent: QWidget | None = None,
        *,
        title: str = "New collection",
        name: str = "",
        fixed_id: str | None = None,
        versions: Sequence[tuple[str, str]] = (),
    ) -> None:
        """``fixed_id``: renaming, where the id stays what it is; otherwise a new id is
        derived from the name (unique among ``taken``). ``versions``: the face models a
        new collection may be created on, as (FaceModelVersion, description), the default
        first; none offered when there is nothing to choose."""
        super().__init__(parent)
        self.setWindowTitle(title)
        self._taken, self._fixed_id = list(taken), fixed_id
        self.name_edit = QLineEdit(name)
        self.name_edit.setPlaceholderText("For example: Family 2026")
        self.id_label = QLabel()
        self.id_label.setObjectName("hint")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        form = QFormLayout(self)
        form.addRow("Name", self.name_edit)
        form.addRow("CollectionId", self.id_label)
        self.version_combo = QComboBox()
        for version, text in versions:
            self.version_combo.addItem(f"{version}: {text}", version)
        if len(versions) > 1:  # a collection keeps its model for good: worth a choice
            form.addRow("Face model", self.version_combo)
        form.addRow(self.buttons)
        self.name_edit.textChanged.connect(self._update)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._update()

    def display_name(self) -> str:
        return normalise_display_name(self.name_edit.text())

    def model_version(self) -> str | None:
        """The chosen FaceModelVersion; None for the default (nothing offered)."""
        data = self.version_combo.currentData()
        return str(data) if data else None

    def collection_id(self) -> str:
        if self._fixed_id is not None:
            return self._fixed_id
        name = self.display_name()
        return collection_id_from_name(name, self._taken) if name else ""

    def _update(self) -> None:
        cid = self.collection_id()
        suffix = " (stays as it is)" if self._fixed_id is not None else ""
        self.id_label.setText(f"{cid}{suffix}" if cid else "—")
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(bool(self.display_name()))
