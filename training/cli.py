"""``python -m training``: train, evaluate and export the expression classifier."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from . import data as fer_data
from .train import RECIPES, Recipe

DEFAULT_DATA = Path.home() / ".cache" / "fer2013"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a classifier; resumes when --run-dir has last.pt")
    _add_data_args(train)
    train.add_argument("--recipe", choices=sorted(RECIPES), default="fast", help="base settings (default: fast)")
    train.add_argument("--run-dir", type=Path, required=True, help="folder for checkpoints and logs")
    overrides = train.add_argument_group("recipe overrides (default: the recipe's value)")
    for field in dataclasses.fields(Recipe):
        flag = "--" + field.name.replace("_", "-")
        if field.type in ("bool", bool):
            overrides.add_argument(flag, type=_parse_bool, metavar="{true,false}")
        else:
            overrides.add_argument(flag, type=_field_type(field))
    return parser


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"FER2013 image release folder or fer2013.csv (default: {DEFAULT_DATA})",
    )
    parser.add_argument(
        "--allow-partial", action="store_true", help="accept split counts that differ from FER2013's"
    )


def _field_type(field: dataclasses.Field) -> type:
    return {"int": int, "float": float, "str": str}.get(str(field.type), type(field.default))


def _parse_bool(text: str) -> bool:
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, not {text!r}")


def _load_data(args: argparse.Namespace) -> fer_data.Fer2013:
    dataset = fer_data.load_cached(args.data)
    if not args.allow_partial:
        dataset.check_canonical_counts()
    return dataset


def _train(args: argparse.Namespace) -> int:
    from .train import train

    recipe = RECIPES[args.recipe]
    changes = {
        f.name: getattr(args, f.name) for f in dataclasses.fields(Recipe) if getattr(args, f.name) is not None
    }
    recipe = dataclasses.replace(recipe, **changes)
    best = train(_load_data(args), recipe, args.run_dir, log=lambda line: print(line, flush=True))
    print(f"best PublicTest center-crop accuracy {best['accuracy']:.4f} at epoch {best['epoch']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return {"train": _train}[args.command](args)
    except (fer_data.DatasetError, FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
