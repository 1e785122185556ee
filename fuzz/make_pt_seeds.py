"""Writes the `.pt` seeds of the `pt` fuzz target with PyTorch's own `torch.save`.

Reads the tiny image tower the `safetensors` target's seeds hold (corpus/safetensors/
tiny-image-tower-f16.safetensors, written by `PELABEL_FUZZ_WRITE_SEEDS`, see README.md) and saves
its tensors as `.pt` files: a plain state dict, one wrapped in {"state_dict": ...} with a
transposed (non-contiguous) tensor, and f32. Each is written twice: as the raw file (mode byte 0)
and as its parts (mode byte 1: data.pkl and the storage entries, which the target zips again).

Run: python3 fuzz/make_pt_seeds.py (needs torch and numpy; tested with torch 2.15).
"""
import io
import json
import struct
import zipfile
from pathlib import Path

import numpy as np
import torch

HERE = Path(__file__).resolve().parent
SRC = HERE / "corpus/safetensors/tiny-image-tower-f16.safetensors"
OUT = HERE / "corpus/pt"


def read_safetensors(path):
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    data = raw[8 + n :]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        assert info["dtype"] == "F16", info
        a, b = info["data_offsets"]
        arr = np.frombuffer(data[a:b], dtype=np.float16).reshape(info["shape"])
        out[name] = torch.from_numpy(arr.copy())
    return out


def parts(pt_bytes):
    """Mode-1 framing: u32 len + data.pkl, then (u8 len, name, u32 len, bytes) per storage."""
    z = zipfile.ZipFile(io.BytesIO(pt_bytes))
    names = z.namelist()
    pkl = next(n for n in names if n.endswith("/data.pkl"))
    prefix = pkl[: -len("data.pkl")]
    out = bytearray(b"\x01")
    p = z.read(pkl)
    out += struct.pack("<I", len(p)) + p
    for n in names:
        if n.startswith(prefix + "data/"):
            key = n[len(prefix + "data/") :].encode()
            d = z.read(n)
            out += bytes([len(key)]) + key + struct.pack("<I", len(d)) + d
    return bytes(out)


def save(name, obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    raw = buf.getvalue()
    (OUT / f"{name}.pt").write_bytes(b"\x00" + raw)
    (OUT / f"{name}.parts").write_bytes(parts(raw))
    print(f"{name}: {len(raw)} bytes")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    sd = read_safetensors(SRC)
    save("tiny-f16", sd)
    wrapped = dict(sd)
    # A transposed view keeps its storage and strides in the file: exercises the gather path.
    wrapped["visual.proj"] = sd["visual.proj"].t().contiguous().t()
    save("tiny-f16-wrapped-strided", {"state_dict": wrapped})
    save("tiny-f32", {k: v.float() for k, v in sd.items()})


if __name__ == "__main__":
    main()
