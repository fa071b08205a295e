"""`weights`: download and verify the model weights every setting of the gallery needs."""

from __future__ import annotations

import argparse

from generator.commands.inputs import models_folder, read_manifest
from generator.folders import Folders


def cmd_weights(args: argparse.Namespace, folders: Folders) -> None:
    from generator.bigsleep.weight_files import default_models_dir
    from generator.bigsleep.weights import download_weights

    manifest = read_manifest(folders)
    settings = [manifest.defaults] + [e.settings for p in manifest.posts for e in p.entries]
    models_dir = models_folder(args) or default_models_dir()
    for path in download_weights(settings, models_dir):
        print(f"weights: {path}: present and verified")
