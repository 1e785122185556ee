#!/usr/bin/env python3
"""The int8 epilogue `asm!` lines of sdk/src/cpu/aarch64/neon_int8.rs (`finish_six` for SMMLA's
accumulators, `finish_six_rows` for SDOT's): 575 and 503 lines of register-allocated assembly,
written by this script rather than by hand.

    python3 sdk/tools/epilogue_asm.py --check   # exit 1 when the file's lines differ (CI runs it)
    python3 sdk/tools/epilogue_asm.py --write   # rewrite them after changing this script

Each block sits between the comments `// generated: sdk/tools/epilogue_asm.py KIND` and
`// end of generated lines` inside its `asm!`. Registers (the same in both): v0 = the six rows'
scales 0..3, v1 = [s4, s5, shift4, shift5], v2 = shifts 0..3 (shift = 128 − zero point), v4-v6
= one column group's sums, scales and bias, v3 and v7 temporaries; the accumulators where the k
loop left them: SMMLA v(8 + 8i + j) = row pair i x columns 2j, 2j + 1 (2 x 2 blocks, one ZIP per
row to make rows), SDOT v(8 + 4r + c) = row r x columns 4c .. 4c + 4. Per row and group: MLA (the
zero-point shift, by element), SCVTF, FMUL (column scale x row scale, by element), MOV + FMLA (the
bias), then the store, with a load and FADD first when accumulating. Three copies of the code:
with a bias; with a bias and accumulating; with neither (one FMUL instead of MOV + FMLA onto
zeros).
"""
import re
import sys
from pathlib import Path

FILE = Path(__file__).resolve().parent.parent / "src/cpu/aarch64/neon_int8.rs"
BEGIN = "// generated: sdk/tools/epilogue_asm.py {}"
END = "// end of generated lines"


def scale(r):
    return ("v0", r) if r < 4 else ("v1", r - 4)


def shift(r):
    return ("v2", r) if r < 4 else ("v1", r - 2)


def lines(kind):
    out = [
        "ldr q0, [{rs}]", "ldr d1, [{rs}, #16]", "ldr q2, [{rz}]", "ldr d3, [{rz}, #16]",
        "movi v4.4s, #128", "sub v2.4s, v4.4s, v2.4s", "sub v3.4s, v4.4s, v3.4s", "mov v1.d[1], v3.d[0]",
    ]

    def row(r, g, value, temp, load, mode):
        """Row r of column group g: its sums in `value`, `temp` for s_c·s_r, `load` for the old
        output when accumulating."""
        sh, s = shift(r), scale(r)
        out.append(f"mla {value}.4s, v4.4s, {sh[0]}.s[{sh[1]}]")
        out.append(f"scvtf {value}.4s, {value}.4s")
        out.append(f"fmul {temp}.4s, v5.4s, {s[0]}.s[{s[1]}]")
        if mode == "plain":
            out.append(f"fmul v3.4s, {value}.4s, {temp}.4s")
        else:
            out.append("mov v3.16b, v6.16b")
            out.append(f"fmla v3.4s, {value}.4s, {temp}.4s")
        if mode == "acc":
            out.append(f"ldr q{load[1:]}, [{{o{r}}}, #{16 * g}]")
            out.append(f"fadd v3.4s, v3.4s, {load}.4s")
        out.append(f"str q3, [{{o{r}}}, #{16 * g}]")

    def body(mode):
        for g in range(4):
            out.append(f"ldr q4, [{{sum}}, #{16 * g}]")
            out.append(f"ldr q5, [{{scl}}, #{16 * g}]")
            if mode != "plain":
                out.append(f"ldr q6, [{{bias}}, #{16 * g}]")
            if kind == "smmla":
                for i in range(3):
                    x, y = f"v{8 + 8 * i + 2 * g}", f"v{9 + 8 * i + 2 * g}"
                    out.append(f"zip1 v7.2d, {x}.2d, {y}.2d")
                    out.append(f"zip2 {y}.2d, {x}.2d, {y}.2d")
                    # Row 2i in v7, row 2i + 1 in y; x is free after the ZIPs. Row 2i + 1's old
                    # output goes to v7, free once row 2i is stored.
                    row(2 * i, g, "v7", x, x, mode)
                    row(2 * i + 1, g, y, x, "v7", mode)
            else:
                for r in range(6):
                    row(r, g, f"v{8 + 4 * r + g}", "v7", "v7", mode)

    out += ["cbnz {acm}, 3f", "cbz {hasb}, 5f"]
    body("bias")
    out += ["b 4f", "5:"]
    body("plain")
    out += ["b 4f", "3:"]
    body("acc")
    out.append("4:")
    return out


def block(kind, indent):
    return "".join(f'{indent}"{line}",\n' for line in lines(kind))


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in ("--check", "--write"):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        print("usage: epilogue_asm.py --check | --write", file=sys.stderr)
        return 2
    text = FILE.read_text()
    new = text
    for kind in ("smmla", "sdot"):
        pat = re.compile(r"(?P<indent>[ ]*)" + re.escape(BEGIN.format(kind)) + r"\n(?P<body>.*?)(?P=indent)" + re.escape(END),
                         re.S)
        m = pat.search(new)
        if not m:
            print(f"epilogue_asm.py: no generated block for {kind} in {FILE}", file=sys.stderr)
            return 1
        indent = m.group("indent")
        want = block(kind, indent)
        new = new[: m.start("body")] + want + new[m.end("body"):]
    if sys.argv[1] == "--write":
        FILE.write_text(new)
        return 0
    if new != text:
        print(f"epilogue_asm.py: the generated lines in {FILE} differ from this script's (run --write)", file=sys.stderr)
        return 1
    print("epilogue_asm.py: both generated blocks match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
