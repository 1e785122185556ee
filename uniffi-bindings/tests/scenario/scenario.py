"""The bindings scenario in Python; Scenario.kt and the Swift ScenarioTests say the same, step by step.

Run by uniffi-bindings/tests/foreign.rs with the generated module on PYTHONPATH:
    python3 scenario.py target/debug/ffi-scenario/scenario.properties
"""

import struct
import sys
import threading

from pelabel_ffi import (
    CameraFrame,
    FrameGeometry,
    FrameOrientation,
    FramePixels,
    LabelOptions,
    LabelOutcome,
    LabelPack,
    Labeler,
    LabelerOptions,
    LiveLabeler,
    LiveListener,
    LiveOptions,
    PelabelError,
    Precision,
    Region,
    SignatureStatus,
    TextEncoder,
    TextEncoderOptions,
    YuvMatrix,
    YuvRange,
    default_label_options,
    default_labeler_options,
    default_live_options,
)

checks = 0


def check(cond, what):
    global checks
    if not cond:
        raise AssertionError(what)
    checks += 1


def expect_error(kind, what, f):
    try:
        f()
    except kind as e:
        check(True, what)
        return e
    except Exception as e:  # noqa: BLE001 - any other type is the failure we report
        raise AssertionError(f"{what}: expected {kind.__name__}, got {type(e).__name__}: {e}")
    raise AssertionError(f"{what}: expected {kind.__name__}, no error")


def read(path):
    with open(path, "rb") as f:
        return f.read()


p = dict(line.rstrip("\n").split("=", 1) for line in open(sys.argv[1]) if "=" in line)
w, h = int(p["frame_width"]), int(p["frame_height"])
top3 = LabelOptions(top_k=3, min_score=None, min_probability=None)


def bgra_frame(bytes_per_row=int(p["bgra_bytes_per_row"]), data=None):
    pixels = FramePixels.BGRA(data=data if data is not None else read(p["bgra_file"]), bytes_per_row=bytes_per_row)
    return CameraFrame(width=w, height=h, pixels=pixels, orientation=FrameOrientation.UP, mirrored=False, region=None)


def nv12_frame():
    pixels = FramePixels.NV12(
        y=read(p["y_file"]),
        y_bytes_per_row=int(p["y_bytes_per_row"]),
        cbcr=read(p["cbcr_file"]),
        cbcr_bytes_per_row=int(p["cbcr_bytes_per_row"]),
        range=YuvRange.FULL,
        matrix=YuvMatrix.BT601,
    )
    return CameraFrame(width=w, height=h, pixels=pixels, orientation=FrameOrientation.UP, mirrored=False, region=None)


def top_id(outcome):
    check(isinstance(outcome, LabelOutcome.RECOGNISED), f"recognised: {outcome}")
    return outcome.labels[0].id


# 1. Open the pack (signature verified) and the model, from files and from bytes.
pack_a = LabelPack.load(p["pack_signed"], p["public_key_hex"])
info = pack_a.info()
check(info.name == p["pack_a_name"] and info.version == p["pack_a_version"], f"pack info {info.name} {info.version}")
check(info.signature == SignatureStatus.VERIFIED and info.label_count == int(p["pack_label_count"]) == len(info.labels), "verified, all labels")
check(LabelPack.load(p["pack_signed"], None).info().signature == SignatureStatus.UNCHECKED, "signature without a key: unchecked")
check(LabelPack.load(p["pack_a"], None).info().signature == SignatureStatus.UNSIGNED, "no signature: unsigned")
labeler = Labeler.open(p["model_dir"], pack_a, LabelerOptions(threads=2, precision=None))
check(labeler.model_fingerprint() == info.model_fingerprint, "pack made for this model")
from_bytes = Labeler.from_bytes(read(p["image_tower"]), read(p["config_json"]).decode(), LabelPack.from_bytes(read(p["pack_a"]), None), LabelerOptions(threads=1))

# 2. Label a BGRA frame and an NV12 frame with padded strides, and an encoded image.
check(top_id(labeler.label_frame(bgra_frame(), top3)) == p["expected_bgra"], "BGRA frame label")
check(top_id(from_bytes.label_frame(bgra_frame(), top3)) == p["expected_bgra"], "BGRA frame label (model from bytes)")
check(top_id(labeler.label_frame(nv12_frame(), top3)) == p["expected_nv12"], "NV12 frame label")
check(top_id(labeler.label_image(read(p["image_file"]), top3)) == p["expected_image"], "encoded image label")
check(top_id(labeler.label_image_file(p["image_file"], top3)) == p["expected_image"], "image file label")
plain = labeler.label_image_file(p["image_file"], top3).labels[0]
check(not plain.calibrated, "softmax probability: not calibrated")
calibrated = Labeler.open(p["model_dir"], LabelPack.load(p["pack_calibrated"], None), LabelerOptions(threads=1, precision=None))
best = calibrated.label_image_file(p["image_file"], top3).labels[0]
check(best.id == p["expected_image"] and best.calibrated, "calibrated pack: same label, flagged calibrated")
check(abs(best.probability - float(p["calibrated_probability"])) < 1e-5, f"calibrated probability {best.probability}")
outcome = labeler.label_frame(bgra_frame(), LabelOptions(top_k=3, min_score=1.5, min_probability=None))
check(isinstance(outcome, LabelOutcome.NOTHING_RECOGNISED) and outcome.best is not None, "nothing recognised")
rotated = bgra_frame()
rotated.orientation, rotated.region = FrameOrientation.RIGHT, Region(x=1, y=2, width=w // 2, height=h // 2)
check(labeler.label_frame(rotated, top3).labels[0].score <= 1.0, "orientation and region cross")

# 2b. The same planes borrowed for the call (zero-copy `&[u8]`): the same outcomes as the records.
geometry = FrameGeometry(width=w, height=h, orientation=FrameOrientation.UP, mirrored=False, region=None)
bgra_bytes, y_bytes, cbcr_bytes = read(p["bgra_file"]), read(p["y_file"]), read(p["cbcr_file"])
bgra_bpr, y_bpr, cbcr_bpr = int(p["bgra_bytes_per_row"]), int(p["y_bytes_per_row"]), int(p["cbcr_bytes_per_row"])
check(labeler.label_bgra(bgra_bytes, bgra_bpr, geometry, top3) == labeler.label_frame(bgra_frame(), top3), "borrowed BGRA = record")
nv12_by_ref = labeler.label_nv12(y_bytes, y_bpr, cbcr_bytes, cbcr_bpr, YuvRange.FULL, YuvMatrix.BT601, geometry, top3)
check(nv12_by_ref == labeler.label_frame(nv12_frame(), top3), "borrowed NV12 = record")
turned = FrameGeometry(width=w, height=h, orientation=FrameOrientation.RIGHT, mirrored=True, region=Region(x=1, y=2, width=w // 2, height=h // 2))
record = bgra_frame()
record.orientation, record.mirrored, record.region = turned.orientation, turned.mirrored, turned.region
check(labeler.label_bgra(bgra_bytes, bgra_bpr, turned, top3) == labeler.label_frame(record, top3), "borrowed, turned and cropped = record")
expect_error(PelabelError.InvalidFrame, "borrowed buffer too short", lambda: labeler.label_bgra(bgra_bytes[:100], bgra_bpr, geometry, top3))
expect_error(PelabelError.InvalidFrame, "borrowed stride too small", lambda: labeler.label_bgra(bgra_bytes, 4 * w - 1, geometry, top3))
expect_error(TypeError, "borrowed planes must be bytes", lambda: labeler.label_bgra(bytearray(bgra_bytes), bgra_bpr, geometry, top3))

# 2c. Options: the records' defaults are the sdk's; precision asked for and in effect; threads bounded.
check(LabelOptions() == default_label_options(), f"LabelOptions() {LabelOptions()} == {default_label_options()}")


def as_f32(record):
    # Python floats are doubles: a default of 0.2 is the f32 0.2 once lowered to Rust.
    return {k: struct.unpack("f", struct.pack("f", v))[0] if isinstance(v, float) else v for k, v in vars(record).items()}


check(as_f32(LiveOptions()) == as_f32(default_live_options()), f"LiveOptions() {LiveOptions()} == {default_live_options()}")
check(LabelerOptions() == default_labeler_options(), "LabelerOptions() == the sdk's")
info32 = labeler.precision()
check(info32.requested == Precision.F32 and info32.active == Precision.F32 and info32.cpu_tier, f"f32 session {info32}")
int8 = Labeler.open(p["model_dir"], pack_a, LabelerOptions(threads=1, precision=Precision.INT8)).precision()
check(int8.requested == Precision.INT8 and int8.active in (Precision.INT8, Precision.F32), f"int8 asked, reported {int8}")
check((int8.active == Precision.INT8) == (p["int8_kernel"] == "true"), f"int8 runs exactly where the CPU has its kernel: {int8}")
expect_error(PelabelError.LimitExceeded, "threads over the limit", lambda: Labeler.open(p["model_dir"], pack_a, LabelerOptions(threads=100_000)))

# 3. Live labeler with a callback, and a pack swap while it runs.
class Listener(LiveListener):
    def __init__(self):
        self.lock = threading.Lock()
        self.results, self.errors = [], []

    def on_result(self, result):
        with self.lock:
            self.results.append(result)

    def on_error(self, timestamp_ms, error):
        with self.lock:
            self.errors.append((timestamp_ms, error))


listener = Listener()
live_options = LiveOptions(half_life_ms=0.0, enter_score=-1.0, exit_margin=0.0, top_k=3, candidates=10)
live = LiveLabeler.start(labeler, live_options, listener)
pack_b = LabelPack.load(p["pack_b"], None)
for i in range(6):
    if i == 3:
        live.swap_pack(pack_b)
    if i % 2:
        live.push_bgra(bgra_bytes, bgra_bpr, geometry, 1000 + 33 * i)  # borrowed, copied once
    else:
        live.push(bgra_frame(), 1000 + 33 * i)
    check(live.wait_idle(30_000), "worker idle")
expect_error(PelabelError.InvalidFrame, "bad frame pushed", lambda: live.push(bgra_frame(bytes_per_row=4 * w - 1), 5000))
expect_error(PelabelError.InvalidFrame, "bad borrowed frame pushed", lambda: live.push_bgra(bgra_bytes[:10], bgra_bpr, geometry, 5001))
expect_error(PelabelError.ModelMismatch, "wrong-model swap while running", lambda: live.swap_pack(LabelPack.load(p["pack_wrong_model"], None)))
stats = live.stop()
expect_error(PelabelError.Stopped, "push after stop", lambda: live.push(bgra_frame(), 6000))
expect_error(PelabelError.Stopped, "borrowed push after stop", lambda: live.push_bgra(bgra_bytes, bgra_bpr, geometry, 6001))
with listener.lock:
    results, errors = list(listener.results), list(listener.errors)
check(len(results) == 6 and not errors, f"6 results, no errors: {len(results)} {errors}")
check([r.timestamp_ms for r in results] == [1000 + 33 * i for i in range(6)], "timestamps in order")
check([r.pack_name for r in results] == [p["pack_a_name"]] * 3 + [p["pack_b_name"]] * 3, "swap took effect")
check(all(r.labels and r.labels[0].id == p["expected_bgra"] for r in results), "live labels")
check(stats.frames_in == 6 and stats.labelled == 6 and stats.failed == 0, f"stats {stats}")
check(stats.latency_p95_ms >= stats.latency_p50_ms > 0.0, "latencies")
check(labeler.pack_info().name == p["pack_b_name"], "labeler keeps the swapped pack")

# 3b. A label typed on the device: the pack without the picture's label, then the label typed.
encoder = TextEncoder.open(p["model_dir"], TextEncoderOptions())
check(encoder.model_fingerprint() == info.model_fingerprint, "text encoder of the same model")
check(encoder.precision().requested == Precision.INT8, "int8 by default")
typed = Labeler.open(p["model_dir"], LabelPack.load(p["pack_without"], None), LabelerOptions(threads=1))
everything = LabelOptions(top_k=100, min_score=-1.0, min_probability=None)
before = typed.label_bgra(bgra_bytes, bgra_bpr, geometry, everything)
check(all(l.id != p["typed_removed_id"] for l in before.labels), "the pack lacks the label")
prompts = p["typed_prompts"].split("|")
typed.add_user_label(encoder, p["typed_id"], p["typed_name"], prompts, None)
after = typed.label_bgra(bgra_bytes, bgra_bpr, geometry, everything)
check(any(l.id == p["typed_id"] for l in after.labels), "the typed label is searched")
if p["mode"] == "demo":
    check(after.labels[0].id == p["typed_id"], f"the typed label is recognised: {after.labels[0].id}")
check([l.id for l in typed.user_labels()] == [p["typed_id"]], "listed")
typed.swap_pack(LabelPack.load(p["pack_without"], None))
check([l.id for l in typed.user_labels()] == [p["typed_id"]], "kept across a swap")
expect_error(PelabelError.InvalidLabel, "no prompts", lambda: typed.add_user_label(encoder, "x", "x", [], None))
expect_error(PelabelError.InvalidLabel, "empty id", lambda: typed.add_user_label(encoder, "", "x", prompts, None))
expect_error(PelabelError.InvalidLabel, "threshold", lambda: typed.add_user_label(encoder, "x", "x", prompts, 3.0))
check(typed.remove_user_label(p["typed_id"]) and not typed.remove_user_label(p["typed_id"]), "removed once")
check(all(l.id != p["typed_id"] for l in typed.label_bgra(bgra_bytes, bgra_bpr, geometry, everything).labels), "gone")

# 4. Each error as a typed exception.
expect_error(PelabelError.InvalidFrame, "stride too small", lambda: labeler.label_frame(bgra_frame(bytes_per_row=4 * w - 4), top3))
expect_error(PelabelError.InvalidFrame, "buffer too short", lambda: labeler.label_frame(bgra_frame(data=b"\0" * 100), top3))
outside = bgra_frame()
outside.region = Region(x=w - 1, y=0, width=8, height=8)
expect_error(PelabelError.InvalidFrame, "region outside", lambda: labeler.label_frame(outside, top3))
expect_error(PelabelError.InvalidImage, "undecodable image", lambda: labeler.label_image(b"not an image", top3))
expect_error(PelabelError.ModelMismatch, "wrong-model pack", lambda: Labeler.open(p["model_dir"], LabelPack.load(p["pack_wrong_model"], None), LabelerOptions()))
expect_error(PelabelError.ModelMismatch, "wrong-model swap", lambda: labeler.swap_pack(LabelPack.load(p["pack_wrong_model"], None)))
expect_error(PelabelError.PackTampered, "tampered pack", lambda: LabelPack.load(p["pack_tampered"], p["public_key_hex"]))
expect_error(PelabelError.PackTampered, "tampered bytes", lambda: LabelPack.from_bytes(read(p["pack_tampered"]), None))
expect_error(PelabelError.PackSignatureInvalid, "other signer", lambda: LabelPack.load(p["pack_signed"], p["other_public_key_hex"]))
expect_error(PelabelError.PackUnsigned, "unsigned pack", lambda: LabelPack.load(p["pack_a"], p["public_key_hex"]))
expect_error(PelabelError.InvalidKey, "malformed key", lambda: LabelPack.load(p["pack_signed"], "abc"))
expect_error(PelabelError.InvalidKey, "placeholder key of zeros", lambda: LabelPack.load(p["pack_signed"], "0" * 64))
expect_error(PelabelError.PackCorrupt, "not a pack", lambda: LabelPack.from_bytes(b"PK\x03\x04 nothing", None))
e = expect_error(PelabelError.FileNotFound, "missing pack", lambda: LabelPack.load(p["missing_path"], None))
check(e.path == p["missing_path"], "the missing path is reported")
expect_error(PelabelError.FileNotFound, "missing model", lambda: Labeler.open(p["missing_path"], pack_a, LabelerOptions()))
expect_error(PelabelError.InvalidModel, "model bytes", lambda: Labeler.from_bytes(b"nope", read(p["config_json"]).decode(), pack_a, LabelerOptions()))

print(f"python scenario ({p['mode']} model): {checks} checks passed")
