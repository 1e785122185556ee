#!/usr/bin/env python3
"""Writes label-sets/imagenet-1k.toml: the 1000 ImageNet-1k classes with the 80 prompt
templates of OpenAI CLIP's zero-shot ImageNet classifier.

Sources (PyPI packages, read as files; nothing is imported, so torch is not needed):
  * open_clip_torch (`open_clip/zero_shot_metadata.py`): IMAGENET_CLASSNAMES, the cleaned class
    names of OpenAI's "Prompt_Engineering_for_ImageNet" notebook, and OPENAI_IMAGENET_TEMPLATES.
  * timm (`timm/data/_info/imagenet_synsets.txt`): the 1000 WordNet ids in class-index order.

Label ids are the WordNet ids (`n01440764` = class 0, tench), so they match every ImageNet tool;
labels are written in class-index order. Names are kept exactly as in the CLIP list, which
reproduces the standard classifier; the list names two classes each "missile" and "sunglasses"
(ids differ).

    python -m venv /tmp/v && /tmp/v/bin/pip install --no-deps open_clip_torch==3.3.0 timm==1.0.31
    /tmp/v/bin/python label-sets/tools/gen_imagenet.py
"""

import ast
import importlib.util
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import _tomlw  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parents[1] / "imagenet-1k.toml"


def package_dir(name: str) -> pathlib.Path:
    spec = importlib.util.find_spec(name)  # locates without importing (no torch needed)
    if spec is None or not spec.submodule_search_locations:
        sys.exit(f"package {name!r} is not installed; see the docstring")
    return pathlib.Path(list(spec.submodule_search_locations)[0])


def main() -> None:
    meta = package_dir("open_clip") / "zero_shot_metadata.py"
    tree = ast.parse(meta.read_text())
    values = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            values[node.targets[0].id] = node.value
    classnames = ast.literal_eval(values["IMAGENET_CLASSNAMES"])
    # Templates are `lambda c: f'...{c}...'`: evaluate each lambda's f-string with c = "{}".
    templates = []
    for lam in values["OPENAI_IMAGENET_TEMPLATES"].elts:
        code = compile(ast.Expression(lam), str(meta), "eval")
        templates.append(eval(code, {"__builtins__": {}})("{}"))  # noqa: S307 (package source)
    wnids = (package_dir("timm") / "data/_info/imagenet_synsets.txt").read_text().split()

    assert len(classnames) == 1000, len(classnames)
    assert len(templates) == 80, len(templates)
    assert len(wnids) == 1000 and len(set(wnids)) == 1000, len(wnids)
    assert all(t.count("{}") == 1 for t in templates)
    assert wnids[0] == "n01440764" and classnames[0] == "tench"

    out = [
        _tomlw.header(
            "imagenet-1k",
            "1.0.0",
            "The 1000 ImageNet-1k classes (ids are WordNet ids, in class-index order) with the "
            "cleaned class names and the 80 prompt templates of OpenAI CLIP's zero-shot ImageNet "
            "classifier.",
            templates,
            "gen_imagenet.py",
        )
    ]
    for index, (wnid, name) in enumerate(zip(wnids, classnames)):
        out.append("\n" + _tomlw.label(wnid, name, comment=f"class {index}"))
    OUT.write_text("".join(out))
    print(f"wrote {OUT} ({len(classnames)} labels, {len(templates)} templates)")


if __name__ == "__main__":
    main()
