"""`dream`: one image from one prompt, outside the gallery, as big-sleep's `dream` makes it; its
options table (big-sleep's option names -> GenerationSettings fields) and their limits."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from generator.commands.inputs import models_folder
from generator.folders import Folders
from generator.settings import GenerationSettings, allowed_range, in_range

# `dream` options (big-sleep's names first) and the GenerationSettings field each one sets.
DREAM_SETTINGS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("--iterations",), "iterations"),
    (("--lr",), "lr"),
    (("--num-cutouts", "--cutouts"), "cutouts"),
    (("--seed",), "seed"),
    (("--image-size",), "image_size"),
    (("--max-classes",), "max_classes"),
    (("--class-temperature",), "class_temperature"),
    (("--ema-decay",), "ema_decay"),
    (("--center-bias",), "center_bias"),
    (("--save-best",), "save_best"),
    (("--penalize", "--text-min"), "penalize"),
    (("--img", "--image-prompt"), "image_prompt"),
    (("--save-progress", "--progress"), "progress"),
    (("--save-every", "--progress-every"), "progress_every"),
    (("--clip",), "clip"),
    (("--biggan",), "biggan"),
)
DREAM_HELP = {"image_prompt": "Image file to match too."}
# Where `dream` follows big-sleep's `dream` command rather than a gallery entry's defaults.
DREAM_DEFAULTS: dict[str, object] = {"ema_decay": 0.5}
DREAM_DIFFERENCES = (
    "Defaults are a gallery entry's, but --ema-decay is 0.5 as in big-sleep's dream. Unlike "
    "big-sleep's dream: --image-size 256 (big-sleep: 512; 256 is 4x faster), --iterations "
    "1000 (big-sleep: 20 epochs x 1050; images rarely improve after 1000 and often collapse), "
    "--seed a stable hash of the prompt (big-sleep: 0, so different prompts share a start); "
    "see the README's \"Differences from big-sleep\".")


def add_setting_options(sub: argparse.ArgumentParser) -> None:
    """The options of DREAM_SETTINGS on `dream`'s parser."""
    for flags, name in DREAM_SETTINGS:
        _setting_option(sub, flags, name)


def _setting_option(sub: argparse.ArgumentParser, flags: tuple[str, ...], name: str) -> None:
    """An option setting GenerationSettings field `name`, with its documentation and limits."""
    field = next(f for f in dataclasses.fields(GenerationSettings) if f.name == name)
    doc, default = DREAM_HELP.get(name, field.metadata["doc"]), DREAM_DEFAULTS.get(name,
                                                                                 field.default)
    if isinstance(default, bool):
        sub.add_argument(*flags, dest=name, action="store_true", default=None, help=doc)
        return
    if isinstance(default, tuple):
        sub.add_argument(*flags, dest=name, action="append", metavar="TEXT",
                         help=f"{doc} (repeat for more)")
        return
    numeric = "min" in field.metadata or "choices" in field.metadata
    kind = type(default) if default is not None else int if numeric else str

    def value(text: str) -> object:
        number = kind(text)
        if not in_range(number, field.metadata):
            raise argparse.ArgumentTypeError(
                f"{text} is out of range (use a value {allowed_range(field.metadata)})")
        return number

    value.__name__ = kind.__name__  # argparse names the type in its "invalid value" errors
    sub.add_argument(*flags, dest=name, type=value, choices=field.metadata.get("choices"),
                     help=f"{doc} (default: {default})" if default is not None else doc)


def dream_settings(args: argparse.Namespace) -> GenerationSettings:
    """The options given, over DREAM_DEFAULTS, over a gallery entry's defaults."""
    given = {name: getattr(args, name) for _, name in DREAM_SETTINGS
             if getattr(args, name) is not None}
    if "penalize" in given:
        given["penalize"] = tuple(given["penalize"])
    return dataclasses.replace(GenerationSettings(), **(DREAM_DEFAULTS | given))


def cmd_dream(args: argparse.Namespace, folders: Folders) -> None:
    """One image from one prompt, outside the gallery, as big-sleep's `dream` makes it."""
    from generator.bigsleep.dream import dream, output_path

    path = output_path(args.prompt, Path(args.out) if args.out else None)
    result = dream(args.prompt, dream_settings(args), path,
                   models_dir=models_folder(args), device=args.device,
                   force=args.force)
    for written in result.files:
        print(f"dream: wrote {written}")
    print(f"dream: seed {result.seed}, similarity {result.similarity:.3f}")
