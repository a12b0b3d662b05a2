"""MediaPipe's face detector and face mesh, converted from the npm package's TFLite files to ONNX.

Run ``.venv-convert/bin/python -m training.face_models.convert`` (needs TensorFlow and tf2onnx,
which live in ``.venv-convert``, not in the main ``.venv``). :mod:`.packed_assets` has no heavy
dependency and is tested in the main ``.venv``.
"""
