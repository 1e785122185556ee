#!/usr/bin/env python3
"""Writes label-sets/demo-shapes.toml: the 64 colour-shape labels of the bundled demo model.

Source: models/demo/synth.py (SHAPES, COLOURS, HELD_OUT, EVAL_TEMPLATE), the one definition of the
synthetic world the demo model was trained on. Labels are in `synth.ALL_COMBOS` order (shape-major),
ids `<colour>_<shape>`, names `<colour> <shape>`; the one template is the model's evaluation prompt,
so the label pack scores exactly the prompts that the PyTorch evaluation (models/demo/evaluate.py)
scores. The held-out combinations (never in a training caption) are marked in a comment.

    python3 label-sets/tools/gen_demo_shapes.py      # numpy and pillow needed (synth imports them)
"""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "models" / "demo"))
import _tomlw  # noqa: E402
import synth  # noqa: E402

OUT = HERE.parent / "demo-shapes.toml"


def main():
    template = synth.EVAL_TEMPLATE.format(colour="{}", shape="").replace("{} .", "{}.")
    assert template == "a photo of a {}.", template
    out = [
        _tomlw.header(
            "demo-shapes",
            "1.0.0",
            "The 64 colour-shape combinations of the synthetic world of the bundled demo model "
            "(models/demo): 8 shapes x 8 colours; 8 of them never appeared in training.",
            [template],
            "gen_demo_shapes.py",
        )
    ]
    for colour, shape in synth.ALL_COMBOS:
        note = "held out: never in a training caption" if (colour, shape) in synth.HELD_OUT else ""
        out.append("\n" + _tomlw.label(f"{colour}_{shape}", synth.label_of(colour, shape), (), note))
    OUT.write_text("".join(out))
    print(f"wrote {OUT} ({len(synth.ALL_COMBOS)} labels)")


if __name__ == "__main__":
    main()
