"""Writes the demo test set's labels as evaluation datasets for `pelabel eval` / `pelabel calibrate`.

    python models/demo/testset_lists.py models/demo/testset

reads `truth.json` (written by `synth.py testset`) and writes, beside it:
- `labels.csv`: every image with its label id (`blue triangle` -> `blue_triangle`, the ids of
  `label-sets/demo-shapes.toml`);
- `split-a.csv` / `split-b.csv`: the even / odd images, so that calibration fitted on one half can
  be measured on the other, which it never saw.
"""

import csv
import json
import sys
from pathlib import Path


def main(folder: str) -> None:
    folder = Path(folder)
    truth = json.loads((folder / "truth.json").read_text())
    rows = [(img["file"], img["label"].replace(" ", "_")) for img in truth["images"]]
    for name, subset in [("labels.csv", rows), ("split-a.csv", rows[0::2]), ("split-b.csv", rows[1::2])]:
        with open(folder / name, "w", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(["image", "labels"])
            w.writerows(subset)
        print(f"wrote {folder / name} ({len(subset)} images)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else str(Path(__file__).parent / "testset"))
