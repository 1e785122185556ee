"""Prepare train.py's output for bundling: zero the token-embedding rows no caption can use.

train.py trains only the rows of token ids that occur in this world's captions (synth.py's
vocabulary); the other 49 400-odd rows of the 49408-row table keep their random init and carry no
meaning. Zeroing them makes the f16 text tower compress to a fraction of its size in git and
makes it plain that words outside the world are unknown to this model. Prompts made of the
world's words give exactly the same embeddings before and after (checked below).

Usage (the bundled model is made by these two commands; see models/demo/README.md):
    /root/venv-pefix/bin/python models/demo/export.py TRAIN_OUT STAGING_DIR
    cargo run --release -p pelabel-cli -- split STAGING_DIR --out models/demo/pe-core-demo --dtype f16
"""
import json
import os
import shutil
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import synth  # noqa: E402
from pe_model import PECore  # noqa: E402
from train import Tokenizer  # noqa: E402


def main():
    src, dst = sys.argv[1], sys.argv[2]
    cfg = json.load(open(os.path.join(src, "config.json")))
    sd = load_file(os.path.join(src, "model.safetensors"))
    tok = Tokenizer(cfg["text"]["context_length"])
    used = torch.tensor(tok.used_ids())
    table = sd["token_embedding.weight"]
    keep = torch.zeros(table.shape[0], dtype=torch.bool)
    keep[used] = True
    out = dict(sd)
    out["token_embedding.weight"] = torch.where(keep[:, None], table, torch.zeros_like(table)).contiguous()

    prompts = [synth.EVAL_TEMPLATE.format(colour=c, shape=s) for c, s in synth.ALL_COMBOS]
    ids = tok(prompts)
    with torch.no_grad():
        embs = []
        for weights in (sd, out):
            m = PECore(cfg["vision"], cfg["text"]).eval()
            m.load_state_dict(weights, strict=True)
            embs.append(F.normalize(m.encode_text(ids), dim=-1))
    diff = (embs[0] - embs[1]).abs().max().item()
    assert diff == 0.0, f"zeroing unused rows changed a prompt embedding by {diff}"

    os.makedirs(dst, exist_ok=True)
    save_file(out, os.path.join(dst, "model.safetensors"))
    shutil.copy(os.path.join(src, "config.json"), os.path.join(dst, "config.json"))
    print(f"kept {int(keep.sum())} of {table.shape[0]} token rows; prompt embeddings unchanged; wrote {dst}")


if __name__ == "__main__":
    main()
