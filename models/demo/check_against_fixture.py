"""Check pe_model.py against the official-code fixture (tiny): load the fixture weights into the
PyTorch model (strict) and reproduce image_embeds, text_embeds, rope_angles, offgrid embeddings.

Usage: /root/venv-pefix/bin/python models/demo/check_against_fixture.py [FIXTURE_DIR]
Exit status 0 when every max abs diff <= 1e-4.
"""
import json
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pe_model import PECore, rope_angles  # noqa: E402

TOL = 1e-4


def main():
    fx = sys.argv[1] if len(sys.argv) > 1 else "/work/shared/fixtures/pe-core/tiny"
    cfg = json.load(open(os.path.join(fx, "config.json")))
    sd = load_file(os.path.join(fx, "model.safetensors"))
    exp = load_file(os.path.join(fx, "expected.safetensors"))
    ok = True
    checks = {}
    with torch.no_grad():
        if "text" in cfg:
            model = PECore(cfg["vision"], cfg["text"]).eval()
            model.load_state_dict(sd, strict=True)
            vis = model.visual
        else:  # vision-only fixture (e.g. tiny-nocls): keys under visual.
            from pe_model import VisionTower
            vis = VisionTower(cfg["vision"]).eval()
            vis.load_state_dict({k[len("visual."):]: v for k, v in sd.items()}, strict=True)
            model = None
        checks["image_embeds"] = vis(exp["pixel_values"])
        if "offgrid_pixel_values" in exp:
            checks["offgrid_image_embeds"] = vis(exp["offgrid_pixel_values"])
        v = cfg["vision"]
        g = v["image_size"] // v["patch_size"]
        checks["rope_angles"] = rope_angles(g, g, v["width"] // v["heads"], v["use_cls_token"], v.get("rope_theta", 10000.0))
        if model is not None:
            checks["text_embeds"] = model.encode_text(exp["input_ids"])
            ie = torch.nn.functional.normalize(checks["image_embeds"], dim=-1)
            te = torch.nn.functional.normalize(checks["text_embeds"], dim=-1)
            checks["logits_per_image"] = model.logit_scale.exp() * ie @ te.T
            checks["probs"] = checks["logits_per_image"].softmax(-1)
    checks = {k: t for k, t in checks.items() if k in exp}
    for k, got in checks.items():
        want = exp[k]
        d = (got - want).abs().max().item()
        good = d <= TOL
        ok &= good
        print(f"{k:24s} shape {tuple(got.shape)}  max|diff| = {d:.3e}  {'OK' if good else 'FAIL'}")
    print("strict load OK; all within 1e-4" if ok else "FAILED")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
