"""What the Ray pipelines' time scales with: actors, prompts, images. Not a test (no asserts on time).

    python3 uniffi-bindings/python/benches/scaling.py [--labels 100] [--actors 1 2] [--repeat-images 1]

On the demo model: embed_label_set on the first LABELS labels of ImageNet-1k (80 templates each)
from an empty cache, and label_images on the demo test set (480 images, REPEAT times), with each
actor count, against the same work in this process (Compiler.compile without a cache; a Labeler
loop), which is what the CLI does. Prints one line per run with wall time and throughput.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "models/demo/pe-core-demo"
PACK = ROOT / "models/demo/demo-shapes.pelpack"
TESTSET = ROOT / "models/demo/testset"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--labels", type=int, default=100)
    ap.add_argument("--actors", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeat-images", type=int, default=1)
    ap.add_argument("--cpus", type=int, default=2)
    args = ap.parse_args()

    import os

    import pelabel
    import pelabel.ray as pr

    os.environ["SOURCE_DATE_EPOCH"] = "1700000000"  # packs comparable byte for byte
    import ray

    tmp = Path(tempfile.mkdtemp(prefix="pelabel-bench-"))
    try:
        subset = tmp / "subset.toml"
        head, *labels = (ROOT / "label-sets/imagenet-1k.toml").read_text().split("[[labels]]")
        subset.write_text(head + "".join("[[labels]]" + l for l in labels[: args.labels]))
        images = pr.image_inputs(TESTSET) * args.repeat_images

        # In this process, as the CLI runs it.
        t0 = time.perf_counter()
        compiler = pelabel.Compiler.open(str(MODEL), None)
        report = compiler.compile(str(subset), str(tmp / "local.pelpack"), pelabel.CompileOptions())
        t = time.perf_counter() - t0
        print(f"compile in-process, no cache: {report.unique_prompts} prompts in {t:.2f} s "
              f"({report.unique_prompts / t:.0f} prompts/s, model load included)")
        t0 = time.perf_counter()
        labeler = pelabel.Labeler.open(str(MODEL), pelabel.LabelPack.load(str(PACK), None), pelabel.LabelerOptions())
        for f in images:
            labeler.label_image_file(f, pelabel.LabelOptions())
        t = time.perf_counter() - t0
        print(f"label in-process: {len(images)} images in {t:.2f} s ({len(images) / t:.0f} images/s)")

        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
        for n in args.actors:
            cache = tmp / f"cache-{n}.redb"
            t0 = time.perf_counter()
            res = pr.embed_label_set(subset, MODEL, cache, num_actors=n, output=tmp / f"ray-{n}.pelpack")
            t = time.perf_counter() - t0
            same = (tmp / f"ray-{n}.pelpack").read_bytes() == (tmp / "local.pelpack").read_bytes()
            print(f"embed_label_set + compile, {n} actor(s): {res.embedded} prompts in {res.batches} batches, "
                  f"{t:.2f} s total, Ray part {res.seconds:.2f} s ({res.embedded / res.seconds:.0f} prompts/s)"
                  f"{', pack identical to the in-process one' if same else ', PACK DIFFERS'}")
            t0 = time.perf_counter()
            out = pr.label_images(MODEL, PACK, images, num_actors=n)
            t = time.perf_counter() - t0
            print(f"label_images, {n} actor(s): {len(out)} images in {t:.2f} s ({len(out) / t:.0f} images/s)")
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
