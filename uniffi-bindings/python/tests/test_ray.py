"""The pip package and its Ray Data pipelines on a local Ray cluster (2 CPUs), against the CLI.

    python3 uniffi-bindings/python/tests/test_ray.py [--cli target/debug/pelabel]

Needs the `pelabel` wheel installed (pip install ./uniffi-bindings/python) and the CLI built
(cargo build -p pelabel-cli). Checks, on the demo model:
1. embed_label_set + compile_pack from an empty cache write the pack `pelabel compile` writes from
   an empty cache, byte for byte (SOURCE_DATE_EPOCH set for both), and a second CLI compile at
   another wall-clock time is the same bytes too;
2. label_images on the demo test set gives `pelabel label --json`'s results (same ids, names,
   parents, f32 scores and probabilities), in input order; an undecodable file is an error record;
3. typed errors: missing files, an invalid label set, a pack of another model, wrong embeddings.
Plain asserts; exits non-zero on the first failure. Prints each pipeline's time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MODEL = ROOT / "models/demo/pe-core-demo"
LABEL_SET = ROOT / "label-sets/demo-shapes.toml"
TESTSET = ROOT / "models/demo/testset"
EPOCH = "1700000000"
IMAGENET_LABELS = 12


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def same_result(a, b, where: str) -> None:
    """Equal structures; floats compared as f32 (the CLI prints an f32's shortest decimal)."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), f"{where}: keys {a!r} vs {b!r}"
        for k in a:
            same_result(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), f"{where}: {a!r} vs {b!r}"
        for i, (x, y) in enumerate(zip(a, b)):
            same_result(x, y, f"{where}[{i}]")
    elif isinstance(a, float) or isinstance(b, float):
        assert f32(a) == f32(b), f"{where}: {a!r} vs {b!r}"
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def expect_error(kind, fn, what: str) -> None:
    try:
        fn()
    except kind:
        return
    except Exception as e:  # noqa: BLE001 - the wrong type is the failure
        raise AssertionError(f"{what}: expected {kind.__name__}, got {type(e).__name__}: {e}") from e
    raise AssertionError(f"{what}: expected {kind.__name__}, nothing raised")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=str(ROOT / "target/debug/pelabel"))
    ap.add_argument("--num-actors", type=int, default=2)
    args = ap.parse_args()

    # `import pelabel` and `import pelabel.ray` do not import Ray (it is imported when a pipeline runs).
    lazy = "import sys, pelabel, pelabel.ray; assert 'ray' not in sys.modules, 'ray imported'"
    subprocess.run([sys.executable, "-c", lazy], check=True)

    import pelabel
    import pelabel.ray as pr
    import ray

    assert pelabel.CompileOptions() == pelabel.default_compile_options(), "record defaults are the sdk's"

    tmp = Path(tempfile.mkdtemp(prefix="pelabel-ray-"))
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)

        # 1. Compile: the CLI from an empty cache vs Ray embedding + compile from another empty
        # cache. Two sets: the demo set in batches of 8 (64 prompts, 8 batches over the actors),
        # and the first labels of ImageNet-1k with its 80 templates (each label sums 80 prompt
        # embeddings, in batches of 64).
        subset = tmp / "imagenet-subset.toml"
        head, *labels = (ROOT / "label-sets/imagenet-1k.toml").read_text().split("[[labels]]")
        subset.write_text(head + "".join("[[labels]]" + l for l in labels[:IMAGENET_LABELS]))
        for name, label_set, batch in [("demo", LABEL_SET, 8), ("imagenet", subset, 64)]:
            cli_pack, ray_pack = tmp / f"{name}-cli.pelpack", tmp / f"{name}-ray.pelpack"
            cmd = [args.cli, "compile", str(label_set), "--model", str(MODEL), "--json", "--batch-size", str(batch)]
            cli = json.loads(subprocess.run(
                [*cmd, "-o", str(cli_pack), "--cache", str(tmp / f"{name}-cli-cache.redb")],
                env=env, check=True, capture_output=True, text=True).stdout)["report"]
            assert cli["cache_hits"] == 0 and cli["batches"] > 1, cli
            cache = tmp / f"{name}-ray-cache.redb"
            t0 = time.perf_counter()
            res = pr.embed_label_set(label_set, MODEL, cache, num_actors=args.num_actors, batch_size=batch,
                                     batches_per_task=1)
            t_embed = time.perf_counter() - t0
            assert res.embedded == cli["unique_prompts"] and res.batches == cli["batches"], (res, cli)
            report = pr.compile_pack(label_set, MODEL, ray_pack, cache_path=cache, batch_size=batch)
            assert (report.cache_hits, report.embedded, report.batches) == (cli["unique_prompts"], 0, 0), report
            assert ray_pack.read_bytes() == cli_pack.read_bytes(), f"{name}: the Ray-compiled pack differs from the CLI's"
            print(f"embed_label_set {name}: {res.embedded} prompts in {res.batches} batches, {args.num_actors} actors: "
                  f"{t_embed:.2f} s (Ray part {res.seconds:.2f} s); pack identical to the CLI's "
                  f"({cli_pack.stat().st_size} bytes)")
        cli_pack, cache = tmp / "demo-cli.pelpack", tmp / "demo-ray-cache.redb"
        info = pelabel.LabelPack.load(str(cli_pack), None).info()
        assert info.created_unix_s == int(EPOCH), info.created_unix_s
        # Another second on the clock, no cache: still the same bytes (SOURCE_DATE_EPOCH).
        time.sleep(1.1)
        again = tmp / "demo-cli-again.pelpack"
        subprocess.run([args.cli, "compile", str(LABEL_SET), "--model", str(MODEL), "-o", str(again), "--no-cache",
                        "--batch-size", "8"], env=env, check=True, capture_output=True)
        assert again.read_bytes() == cli_pack.read_bytes(), "two CLI compiles with SOURCE_DATE_EPOCH differ"
        # Nothing left to embed; output= compiles in the same call.
        res = pr.embed_label_set(LABEL_SET, MODEL, cache, num_actors=1, batch_size=8, output=again)
        assert (res.batches, res.embedded, res.compile_report.embedded) == (0, 0, 0), res
        assert again.read_bytes() == cli_pack.read_bytes()

        # 2. Labeling: CLI --json vs Ray, on the whole demo test set plus one undecodable file.
        t0 = time.perf_counter()
        got = pr.label_images(MODEL, cli_pack, TESTSET, num_actors=args.num_actors)
        t_label = time.perf_counter() - t0
        out = subprocess.run([args.cli, "label", "--model", str(MODEL), "--pack", str(cli_pack), "--json", str(TESTSET)],
                             check=True, capture_output=True, text=True).stdout
        want = [json.loads(line) for line in out.splitlines()]
        assert len(want) == len(got) >= 480, (len(want), len(got))
        for w, g in zip(want, got):
            assert w["input"] == g["input"], (w["input"], g["input"])
            same_result(w["result"], g["result"], w["input"])
        print(f"label_images: {len(got)} images, {args.num_actors} actors: {t_label:.2f} s; equal to the CLI's")
        bad = tmp / "not-an-image.png"
        bad.write_bytes(b"not a png")
        first = sorted(TESTSET.glob("*.png"))[0]
        mixed = pr.label_images(MODEL, cli_pack, [bad, first], num_actors=1)
        assert mixed[0]["error"]["kind"] == "InvalidImage" and "result" in mixed[1], mixed

        # 3. Evaluation: the CLI's `pelabel eval --json` report vs Ray's, on the demo test set with
        # one image that does not exist (an error record in both), and the HTML with the same title.
        dataset = tmp / "eval.csv"
        listed = (TESTSET / "labels.csv").read_text().splitlines()
        dataset.write_text("\n".join([listed[0]] + [f"{TESTSET / l.split(',')[0]},{l.split(',')[1]}" for l in listed[1:]]
                                     + [f"{tmp / 'missing.png'},red_circle"]) + "\n")
        cli_html, ray_html = tmp / "cli.html", tmp / "ray.html"
        t0 = time.perf_counter()
        got = pr.evaluate(MODEL, cli_pack, dataset, num_actors=args.num_actors, html_path=ray_html)
        t_eval = time.perf_counter() - t0
        run = subprocess.run([args.cli, "eval", "--model", str(MODEL), "--pack", str(cli_pack), "--json",
                              "--html", str(cli_html), str(dataset)], capture_output=True, text=True)
        assert run.returncode == 1, "an image failed: exit code 1, report written anyway"
        want = json.loads(run.stdout)
        assert got == want, "Ray's report differs from the CLI's"
        assert ray_html.read_text() == cli_html.read_text(), "Ray's HTML differs from the CLI's"
        assert want["images"] == 481 and len(want["failed"]) == 1 and want["top1_accuracy"] > 0.6, want["top1_accuracy"]
        print(f"evaluate: {want['images']} images, {args.num_actors} actors: {t_eval:.2f} s; report and HTML equal to the CLI's "
              f"(top-1 {want['top1_accuracy']:.4f})")
        expect_error(pelabel.PelabelError.InvalidDataset, lambda: pr.evaluate(MODEL, cli_pack, LABEL_SET), "not a dataset")

        # 4. Typed errors, on the driver.
        E = pelabel.PelabelError
        expect_error(E.FileNotFound, lambda: pr.embed_label_set(tmp / "nope.toml", MODEL, cache), "missing label set")
        expect_error(E.FileNotFound, lambda: pr.embed_label_set(LABEL_SET, tmp / "nope", cache), "missing model")
        expect_error(E.FileNotFound, lambda: pr.label_images(MODEL, tmp / "nope.pelpack", TESTSET), "missing pack")
        expect_error(E.FileNotFound, lambda: pr.label_images(MODEL, cli_pack, tmp / "nope.png"), "missing image")
        broken = tmp / "broken.toml"
        broken.write_text('name = "x"\nversion = \n')
        expect_error(E.InvalidLabelSet, lambda: pr.embed_label_set(broken, MODEL, cache), "invalid label set")
        tiny = ROOT / "tests/fixtures/pe-core/tiny"
        if tiny.is_dir():  # a pack of another model: refused before any actor starts
            tiny_pack = tmp / "tiny.pelpack"
            pr.compile_pack(LABEL_SET, tiny, tiny_pack, cache_path=None)
            expect_error(E.ModelMismatch, lambda: pr.label_images(MODEL, tiny_pack, TESTSET), "pack of another model")
        else:
            raise AssertionError(f"{tiny} missing: the model-mismatch check needs it")
        compiler = pelabel.Compiler.open(str(MODEL), None)
        expect_error(E.Cache, lambda: compiler.cache_embeddings(str(cache), ["a photo"], b"\0" * 6), "partial f32")
        expect_error(E.Cache, lambda: compiler.cache_embeddings(str(cache), ["a photo"], b"\0" * 8), "short embedding")
        os.environ["SOURCE_DATE_EPOCH"] = "yesterday"
        expect_error(E.InvalidEnvironment, lambda: pr.compile_pack(LABEL_SET, MODEL, tmp / "x.pelpack", cache_path=cache),
                     "malformed SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = EPOCH
        print("typed errors: ok")
    finally:
        ray.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    print("test_ray: all checks passed")


if __name__ == "__main__":
    main()
