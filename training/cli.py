"""``python -m training``: train, evaluate and export the expression classifier.

Commands: ``sizes`` (parameters and fp32 sizes of the architectures), ``train``, ``evaluate``
(metrics and figures from a checkpoint or an ONNX file), ``calibrate`` (per-class logit offsets
chosen on PublicTest, folded into the checkpoint) and ``export`` (checkpoint to ONNX).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from . import data as fer_data
from .export import WEIGHTS, ExportError
from .train import RECIPES, Recipe

DEFAULT_DATA = Path.home() / ".cache" / "fer2013"
DEFAULT_ONNX = Path("models") / "expression.onnx"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    commands.add_parser(
        "sizes",
        help="print parameter counts and fp32 sizes of every architecture beside the paper's",
    )

    train = commands.add_parser(
        "train", help="train a classifier; resumes when --run-dir has last.pt"
    )
    _add_data_args(train)
    train.add_argument(
        "--recipe", choices=sorted(RECIPES), default="fast", help="base settings (default: fast)"
    )
    train.add_argument(
        "--run-dir", type=Path, required=True, help="folder for checkpoints and logs"
    )
    overrides = train.add_argument_group("recipe overrides (default: the recipe's value)")
    for field in dataclasses.fields(Recipe):
        flag = "--" + field.name.replace("_", "-")
        if field.type in ("bool", bool):
            overrides.add_argument(flag, type=_parse_bool, metavar="{true,false}")
        else:
            overrides.add_argument(flag, type=_field_type(field))

    evaluate = commands.add_parser(
        "evaluate",
        help="PublicTest and PrivateTest accuracy (center crop and ten crops), recall, figures",
    )
    _add_data_args(evaluate)
    source = evaluate.add_mutually_exclusive_group(required=True)
    source.add_argument("--checkpoint", type=Path, help="a best.pt or last.pt of a run")
    source.add_argument("--onnx", type=Path, help="an ONNX file written by the export command")
    evaluate.add_argument(
        "--out",
        type=Path,
        help="folder for metrics.json and the PNG figures (default: <checkpoint folder>/"
        "evaluation-<checkpoint name> for a checkpoint, out/evaluation-<onnx name> for ONNX)",
    )

    calibrate = commands.add_parser(
        "calibrate",
        help="fold per-class logit offsets chosen on PublicTest (mean recall) into a new checkpoint",
    )
    _add_data_args(calibrate)
    calibrate.add_argument("--checkpoint", type=Path, required=True, help="a best.pt of a run")
    calibrate.add_argument(
        "--out",
        type=Path,
        help="checkpoint to write (default: <checkpoint folder>/<name>-calibrated.pt)",
    )

    export = commands.add_parser("export", help="write a checkpoint as ONNX with its metadata")
    _add_data_args(export)
    export.add_argument(
        "--checkpoint", type=Path, required=True, help="a best.pt or last.pt of a run"
    )
    export.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_ONNX,
        help=f"ONNX file to write (default: {DEFAULT_ONNX})",
    )
    export.add_argument(
        "--metrics",
        type=Path,
        help="metrics.json of `evaluate --checkpoint` on the same checkpoint, or of `evaluate "
        "--onnx` on a file with the same graph (an earlier export with the same --weights): its "
        "accuracies go into the metadata (default: no accuracies)",
    )
    export.add_argument(
        "--weights",
        choices=WEIGHTS,
        default="fp16",
        help="how the file stores its weights: fp16 (half the size, cast to float32 when the "
        "session loads, so it still computes in float32) or fp32 (default: fp16)",
    )
    export.add_argument(
        "--int8",
        action="store_true",
        help="also write <out name>-int8.onnx, statically quantized with Training calibration",
    )
    return parser


def _add_data_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data",
        type=Path,
        default=DEFAULT_DATA,
        help=f"FER2013 image release folder or fer2013.csv (default: {DEFAULT_DATA})",
    )
    parser.add_argument(
        "--allow-partial",
        action="store_true",
        help="accept split counts that differ from FER2013's",
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
        f.name: getattr(args, f.name)
        for f in dataclasses.fields(Recipe)
        if getattr(args, f.name) is not None
    }
    recipe = dataclasses.replace(recipe, **changes)
    best = train(_load_data(args), recipe, args.run_dir, log=lambda line: print(line, flush=True))
    print(f"best PublicTest center-crop accuracy {best['accuracy']:.4f} at epoch {best['epoch']}")
    return 0


def _sizes(args: argparse.Namespace) -> int:
    from .models import size_table

    print(
        f"{'arch':<14}{'parameters':>12}{'fp32 MiB':>10}{'saved MiB':>11}{'paper MB':>10}{'diff':>8}"
    )
    for row in size_table():
        print(
            f"{row['arch']:<14}{row['parameters']:>12,}{row['fp32_mib']:>10.2f}{row['saved_mib']:>11.2f}"
            f"{row['published_mb']:>10.2f}{100 * row['difference']:>+7.2f}%"
        )
    print(
        "fp32 MiB: 4 bytes x (parameters + BatchNorm statistics) / 2**20; saved MiB: the size of "
        "torch.save(state_dict) / 2**20, what the paper's sizes match"
    )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from . import report

    if args.out is not None:
        out = args.out
    elif args.checkpoint is not None:
        out = args.checkpoint.parent / f"evaluation-{args.checkpoint.stem}"
    else:
        out = Path("out") / f"evaluation-{args.onnx.stem}"
    classify, info = report.load_source(args.checkpoint, args.onnx)
    report.run(classify, info, _load_data(args), args.data, out)
    return 0


def _calibrate(args: argparse.Namespace) -> int:
    from .calibrate import calibrate
    from .train import load_checkpoint, save_atomic

    model, state = load_checkpoint(args.checkpoint)
    public = _load_data(args)["PublicTest"]
    summary = calibrate(model, public.images, public.labels)
    out = args.out or args.checkpoint.with_name(f"{args.checkpoint.stem}-calibrated.pt")
    state = {**state, "model": model.state_dict(), "calibration": summary}
    save_atomic(state, out)
    print(f"wrote {out}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from .export import export

    export(
        args.checkpoint,
        args.out,
        _load_data(args),
        metrics=args.metrics,
        int8=args.int8,
        weights=args.weights,
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    commands = {
        "sizes": _sizes,
        "train": _train,
        "evaluate": _evaluate,
        "calibrate": _calibrate,
        "export": _export,
    }
    try:
        return commands[args.command](args)
    except (fer_data.DatasetError, FileNotFoundError, ValueError, ExportError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
