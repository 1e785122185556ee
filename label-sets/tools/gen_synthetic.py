#!/usr/bin/env python3
"""A synthetic label set of N distinct labels ("<colour> <material> <object>"), for measuring
compiles at scale (README, "Compile at scale"): not for shipping.

    python3 label-sets/tools/gen_synthetic.py 100000 target/synthetic-100k.toml
"""

import itertools
import sys

COLOURS = "red orange yellow green blue purple pink brown black white grey silver golden beige navy teal maroon olive cream turquoise".split()
MATERIALS = ("wooden metal plastic glass ceramic paper leather woolen cotton stone rubber bamboo marble "
             "concrete porcelain velvet denim silk wicker copper brass steel clay cardboard knitted").split()
OBJECTS = ("chair table lamp cup bowl plate bottle vase clock phone laptop keyboard mouse book bag shoe hat "
           "jacket shirt dress sock glove scarf umbrella bicycle car truck bus boat kite ball toy doll robot "
           "bench door window fence gate bridge tower house tent barrel box basket bucket ladder hammer "
           "wrench screwdriver saw drill knife fork spoon pan pot kettle toaster fan heater mirror frame "
           "pillow blanket towel curtain rug carpet bed sofa shelf cabinet drawer desk stool crate sign "
           "statue mask helmet shield sword bow arrow drum guitar violin piano trumpet flute bell whistle "
           "candle lantern torch flag banner tent backpack wallet purse ring necklace bracelet watch "
           "glasses comb brush sponge bin jar can tube pipe hose rope chain lock key coin card ticket "
           "map globe compass telescope camera radio speaker headphones microphone printer scanner "
           "monitor tablet charger cable plug socket switch remote battery bulb magnet tray mug teapot "
           "jug flask thermos lunchbox pencil pen marker crayon eraser ruler stapler scissors envelope "
           "folder notebook calendar poster canvas easel palette sculpture fountain planter birdhouse "
           "kennel cage aquarium skateboard scooter sled ski surfboard paddle oar anchor wheel "
           "tractor trailer wagon cart tricycle helicopter airplane rocket balloon parachute kayak canoe "
           "raft submarine train tram").split()


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    combos = itertools.product(OBJECTS, MATERIALS, COLOURS)
    lines = [f'name = "synthetic-{n}"', 'version = "1.0.0"',
             'description = "Synthetic labels for measuring compiles at scale (label-sets/tools/gen_synthetic.py)."', ""]
    for i, (obj, mat, col) in enumerate(itertools.islice(combos, n)):
        lines += ["[[labels]]", f'id = "syn-{i:06d}"', f'name = "{col} {mat} {obj}"', ""]
    if i + 1 < n:
        sys.exit(f"only {i + 1} combinations")
    open(out, "w").write("\n".join(lines))
    print(f"{n} labels -> {out}")


if __name__ == "__main__":
    main()
