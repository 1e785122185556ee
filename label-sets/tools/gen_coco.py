#!/usr/bin/env python3
"""Writes label-sets/coco-80.toml: the 80 object categories of COCO 2017 detection.

Source: torchvision (PyPI), `torchvision/models/_meta.py`, `_COCO_CATEGORIES`: the 91 COCO
category slots in category-id order, of which 11 are unused ("N/A") and one is the background;
the other 80 are the categories, spelt as COCO spells them. The file is read, not imported, so
torch is not needed.

Ids are the names with spaces turned into `_` (`traffic_light`); labels are in COCO category-id
order. The synonyms below are ours: other common names, and disambiguations for names that mean
something else on their own (`mouse` is the computer mouse in COCO).

    python -m venv /tmp/v && /tmp/v/bin/pip install --no-deps torchvision==0.29.2
    /tmp/v/bin/python label-sets/tools/gen_coco.py
"""

import ast
import importlib.util
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _tomlw  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[1] / "coco-80.toml"

TEMPLATES = [
    "a photo of a {}.",
    "a photo of the {}.",
    "a photo of a small {}.",
    "a photo of a large {}.",
    "a cropped photo of a {}.",
    "a photo containing a {}.",
]

SYNONYMS = {
    "motorcycle": ["motorbike"],
    "airplane": ["aeroplane", "plane"],
    "sports ball": ["ball"],
    "baseball glove": ["baseball mitt"],
    "tennis racket": ["tennis racquet"],
    "handbag": ["purse"],
    "tie": ["necktie"],
    "skis": ["pair of skis"],
    "cup": ["mug"],
    "orange": ["orange fruit"],
    "apple": ["apple fruit"],
    "donut": ["doughnut"],
    "couch": ["sofa"],
    "potted plant": ["houseplant"],
    "dining table": ["table"],
    "tv": ["television", "tv monitor"],
    "laptop": ["laptop computer"],
    "mouse": ["computer mouse"],
    "remote": ["remote control", "tv remote"],
    "keyboard": ["computer keyboard"],
    "cell phone": ["mobile phone", "smartphone"],
    "refrigerator": ["fridge"],
    "hair drier": ["hair dryer"],
}


def main() -> None:
    spec = importlib.util.find_spec("torchvision")  # locates without importing
    if spec is None or not spec.submodule_search_locations:
        sys.exit("torchvision is not installed; see the docstring")
    meta = pathlib.Path(list(spec.submodule_search_locations)[0]) / "models/_meta.py"
    categories = None
    for node in ast.parse(meta.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "_COCO_CATEGORIES":
            categories = ast.literal_eval(node.value)
    assert categories is not None and len(categories) == 91, "unexpected _COCO_CATEGORIES"
    names = [c for c in categories if c not in ("__background__", "N/A")]
    assert len(names) == 80 and len(set(names)) == 80, len(names)
    assert names[0] == "person" and names[-1] == "toothbrush"
    assert set(SYNONYMS) <= set(names), set(SYNONYMS) - set(names)

    out = [
        _tomlw.header(
            "coco-80",
            "1.0.0",
            "The 80 object categories of COCO 2017 detection, in category-id order, spelt as COCO "
            "spells them, with a few synonyms.",
            TEMPLATES,
            "gen_coco.py",
        )
    ]
    for name in names:
        coco_id = categories.index(name)
        out.append("\n" + _tomlw.label(name.replace(" ", "_"), name, SYNONYMS.get(name, ()), f"COCO id {coco_id}"))
    OUT.write_text("".join(out))
    print(f"wrote {OUT} ({len(names)} labels)")


if __name__ == "__main__":
    main()
