"""Zero-shot top-1 accuracy of a saved demo model (official layout) on a test set written by
`synth.py testset`. PNGs are read from disk and preprocessed exactly as reference section 8
(PIL bilinear squash, RGB, mean/std 0.5), so the figures are the PyTorch side of the
Rust-vs-PyTorch accuracy comparison of issue [4].

Usage:
    /root/venv-pefix/bin/python models/demo/evaluate.py MODEL_DIR TESTSET_DIR \
        [--predictions OUT.json] [--fixture OUT_DIR --fixture-images 16]
MODEL_DIR holds config.json and either model.safetensors (train.py's output) or the halves written
by `pelabel split` (image-tower.safetensors + text-tower.safetensors, e.g. f16: upcast to f32 here,
as pelabel does). TESTSET_DIR holds truth.json + PNGs.

--fixture writes OUT_DIR/expected.safetensors for the Rust parity test (tests/demo_model.rs):
`image_embeds` [K, D] (unnormalised) of the first K test images, `text_embeds` [64, D]
(unnormalised) of the label prompts, `logit_scale` [1] (the raw parameter).
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import load_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from pe_model import PECore  # noqa: E402
from train import Tokenizer, preprocess  # noqa: E402


def load_weights(model_dir):
    single = os.path.join(model_dir, "model.safetensors")
    if os.path.exists(single):
        sd = load_file(single)
    else:
        sd = {}
        for half in ("image-tower.safetensors", "text-tower.safetensors"):
            sd.update(load_file(os.path.join(model_dir, half)))
    return {k: v.float() for k, v in sd.items()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("testset_dir")
    ap.add_argument("--predictions")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--fixture")
    ap.add_argument("--fixture-images", type=int, default=16)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    cfg = json.load(open(os.path.join(a.model_dir, "config.json")))
    model = PECore(cfg["vision"], cfg["text"]).eval()
    model.load_state_dict(load_weights(a.model_dir), strict=True)
    meta = json.load(open(os.path.join(a.testset_dir, "truth.json")))
    labels = meta["labels"]
    tmpl = meta["eval_template"]
    tok = Tokenizer(cfg["text"]["context_length"])
    prompts = [tmpl.format(colour=l.split(" ", 1)[0], shape=l.split(" ", 1)[1]) for l in labels]
    S = cfg["vision"]["image_size"]
    with torch.no_grad():
        te = F.normalize(model.encode_text(tok(prompts)), dim=-1)
        scale = model.logit_scale.exp()
        rows, stats, img_embeds = [], {}, []
        for e in meta["images"]:
            if "label" not in e:
                continue
            x = torch.from_numpy(preprocess(Image.open(os.path.join(a.testset_dir, e["file"])), S))[None]
            emb = model.encode_image(x)
            if len(img_embeds) < a.fixture_images:
                img_embeds.append(emb[0].clone())
            probs = (scale * F.normalize(emb, dim=-1) @ te.T).softmax(-1)[0]
            p = int(probs.argmax())
            ok = labels[p] == e["label"]
            s = stats.setdefault(e["split"], [0, 0])
            s[0] += ok
            s[1] += 1
            rows.append({"file": e["file"], "truth": e["label"], "pred": labels[p],
                         "prob": round(float(probs[p]), 6), "split": e["split"], "correct": ok})
    tot = [sum(v[0] for v in stats.values()), sum(v[1] for v in stats.values())]
    res = {k: {"top1": round(100.0 * v[0] / v[1], 2), "n": v[1]} for k, v in sorted(stats.items())}
    res["all"] = {"top1": round(100.0 * tot[0] / tot[1], 2), "n": tot[1]}
    print(json.dumps(res))
    if a.fixture:
        from safetensors.torch import save_file
        os.makedirs(a.fixture, exist_ok=True)
        with torch.no_grad():
            text_raw = model.encode_text(tok(prompts))
        save_file({"image_embeds": torch.stack(img_embeds).contiguous(), "text_embeds": text_raw.contiguous(),
                   "logit_scale": model.logit_scale.detach().reshape(1).float().contiguous()},
                  os.path.join(a.fixture, "expected.safetensors"))
    if a.predictions:
        with open(a.predictions, "w") as f:
            json.dump({"summary": res, "predictions": rows}, f, indent=1)


if __name__ == "__main__":
    main()
