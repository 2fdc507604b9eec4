"""About facedesk: version, models and their licences."""

from __future__ import annotations

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

import facedesk

_CC0 = "CC0 / public domain, via face_recognition_models"


def about_text(model_version: str) -> str:
    return f"""
<h2>facedesk {facedesk.__version__}</h2>
<p>Local face collections with Amazon Rekognition's semantics. Everything runs on this
computer, offline.</p>
<p><b>Face model</b> version {model_version}</p>
<table cellspacing="4">
<tr><td><b>HOG face detector</b> (dlib)</td><td>{_CC0}</td></tr>
<tr><td><b>ResNet face descriptor</b> (dlib, 128-d)</td><td>{_CC0}</td></tr>
<tr><td><b>5-point shape predictor</b> (dlib)</td><td>{_CC0}</td></tr>
<tr><td><b>68-point shape predictor</b> (dlib)</td><td>trained on iBUG 300-W:
<b>non-commercial use only</b></td></tr>
<tr><td><b>dlib</b></td><td>Boost Software License</td></tr>
<tr><td><b>Qt {qVersion()}</b> / PySide6 {pyside_version}</td><td>LGPL v3</td></tr>
</table>
<p>facedesk itself is MIT-licensed.</p>
"""


def show_about(parent: QWidget | None, model_version: str) -> None:
    box = QMessageBox(parent)
    box.setWindowTitle("About facedesk")
    box.setTextFormat(box.textFormat().RichText)
    box.setText(about_text(model_version))
    box.exec()
