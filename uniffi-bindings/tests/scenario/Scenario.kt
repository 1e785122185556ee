// The bindings scenario in Kotlin; scenario.py and the Swift ScenarioTests say the same, step by step.
//
// Compiled with the generated uniffi/pelabel_ffi/pelabel_ffi.kt and run on the JVM with JNA by
// uniffi-bindings/tests/foreign.rs:  java -cp jna.jar:scenario.jar ScenarioKt scenario.properties

import java.io.File
import uniffi.pelabel_ffi.*

var checks = 0

fun verify(cond: Boolean, what: String) {
    if (!cond) throw AssertionError(what)
    checks++
}

inline fun <reified E : Throwable> expectError(what: String, f: () -> Unit): E {
    try {
        f()
    } catch (e: Throwable) {
        if (e is E) {
            checks++
            return e
        }
        throw AssertionError("$what: expected ${E::class.simpleName}, got ${e::class.simpleName}: ${e.message}")
    }
    throw AssertionError("$what: expected ${E::class.simpleName}, no error")
}

fun read(path: String): ByteArray = File(path).readBytes()

/// A file's bytes in a direct buffer (as Android's `Image.Plane.getBuffer()` hands them out):
/// what the borrowed `&[u8]` calls take. UniFFI passes the buffer's address and its remaining
/// length, so its position must be 0.
fun direct(path: String): java.nio.ByteBuffer {
    val bytes = read(path)
    return java.nio.ByteBuffer.allocateDirect(bytes.size).put(bytes).flip() as java.nio.ByteBuffer
}

fun main(args: Array<String>) {
    val p = File(args[0]).readLines().filter { '=' in it }.associate { it.substringBefore('=') to it.substringAfter('=') }
    val w = p.getValue("frame_width").toUInt()
    val h = p.getValue("frame_height").toUInt()
    val top3 = LabelOptions(topK = 3u, minScore = null, minProbability = null)

    fun bgraFrame(bytesPerRow: UInt = p.getValue("bgra_bytes_per_row").toUInt(), data: ByteArray? = null) =
        CameraFrame(w, h, FramePixels.Bgra(data ?: read(p.getValue("bgra_file")), bytesPerRow), FrameOrientation.UP, false, null)

    fun nv12Frame() = CameraFrame(
        w, h,
        FramePixels.Nv12(
            read(p.getValue("y_file")), p.getValue("y_bytes_per_row").toUInt(),
            read(p.getValue("cbcr_file")), p.getValue("cbcr_bytes_per_row").toUInt(),
            YuvRange.FULL, YuvMatrix.BT601,
        ),
        FrameOrientation.UP, false, null,
    )

    fun topId(outcome: LabelOutcome): String {
        verify(outcome is LabelOutcome.Recognised, "recognised: $outcome")
        return (outcome as LabelOutcome.Recognised).labels[0].id
    }

    // 1. Open the pack (signature verified) and the model, from files and from bytes.
    val packA = LabelPack.load(p.getValue("pack_signed"), p.getValue("public_key_hex"))
    val info = packA.info()
    verify(info.name == p["pack_a_name"] && info.version == p["pack_a_version"], "pack info ${info.name} ${info.version}")
    verify(info.signature == SignatureStatus.VERIFIED && info.labelCount == p.getValue("pack_label_count").toULong() && info.labels.size.toULong() == info.labelCount, "verified, all labels")
    verify(LabelPack.load(p.getValue("pack_signed"), null).info().signature == SignatureStatus.UNCHECKED, "signature without a key: unchecked")
    verify(LabelPack.load(p.getValue("pack_a"), null).info().signature == SignatureStatus.UNSIGNED, "no signature: unsigned")
    val labeler = Labeler.open(p.getValue("model_dir"), packA, LabelerOptions(threads = 2u, precision = null))
    verify(labeler.modelFingerprint() == info.modelFingerprint, "pack made for this model")
    val fromBytes = Labeler.fromBytes(
        read(p.getValue("image_tower")), File(p.getValue("config_json")).readText(),
        LabelPack.fromBytes(read(p.getValue("pack_a")), null), LabelerOptions(threads = 1u),
    )

    // 2. Label a BGRA frame and an NV12 frame with padded strides, and an encoded image.
    verify(topId(labeler.labelFrame(bgraFrame(), top3)) == p["expected_bgra"], "BGRA frame label")
    verify(topId(fromBytes.labelFrame(bgraFrame(), top3)) == p["expected_bgra"], "BGRA frame label (model from bytes)")
    verify(topId(labeler.labelFrame(nv12Frame(), top3)) == p["expected_nv12"], "NV12 frame label")
    verify(topId(labeler.labelImage(read(p.getValue("image_file")), top3)) == p["expected_image"], "encoded image label")
    verify(topId(labeler.labelImageFile(p.getValue("image_file"), top3)) == p["expected_image"], "image file label")
    val plain = (labeler.labelImageFile(p.getValue("image_file"), top3) as LabelOutcome.Recognised).labels[0]
    verify(!plain.calibrated, "softmax probability: not calibrated")
    val calibrated = Labeler.open(p.getValue("model_dir"), LabelPack.load(p.getValue("pack_calibrated"), null), LabelerOptions(1u, null))
    val best = (calibrated.labelImageFile(p.getValue("image_file"), top3) as LabelOutcome.Recognised).labels[0]
    verify(best.id == p["expected_image"] && best.calibrated, "calibrated pack: same label, flagged calibrated")
    verify(Math.abs(best.probability - p.getValue("calibrated_probability").toFloat()) < 1e-5f, "calibrated probability ${best.probability}")
    val none = labeler.labelFrame(bgraFrame(), LabelOptions(3u, 1.5f, null))
    verify(none is LabelOutcome.NothingRecognised && none.best != null, "nothing recognised")
    val rotated = bgraFrame().copy(orientation = FrameOrientation.RIGHT, region = Region(1u, 2u, w / 2u, h / 2u))
    verify(labeler.labelFrame(rotated, top3).let { it is LabelOutcome.Recognised && it.labels[0].score <= 1.0f }, "orientation and region cross")

    // 2b. The same planes borrowed for the call (zero-copy `&[u8]` from direct buffers): the same
    // outcomes as the records.
    val geometry = FrameGeometry(w, h, FrameOrientation.UP, false, null)
    val bgraBuf = direct(p.getValue("bgra_file"))
    val bgraBpr = p.getValue("bgra_bytes_per_row").toUInt()
    verify(labeler.labelBgra(bgraBuf, bgraBpr, geometry, top3) == labeler.labelFrame(bgraFrame(), top3), "borrowed BGRA = record")
    val nv12ByRef = labeler.labelNv12(
        direct(p.getValue("y_file")), p.getValue("y_bytes_per_row").toUInt(),
        direct(p.getValue("cbcr_file")), p.getValue("cbcr_bytes_per_row").toUInt(),
        YuvRange.FULL, YuvMatrix.BT601, geometry, top3,
    )
    verify(nv12ByRef == labeler.labelFrame(nv12Frame(), top3), "borrowed NV12 = record")
    val turned = FrameGeometry(w, h, FrameOrientation.RIGHT, true, Region(1u, 2u, w / 2u, h / 2u))
    val turnedRecord = bgraFrame().copy(orientation = turned.orientation, mirrored = true, region = turned.region)
    verify(labeler.labelBgra(bgraBuf, bgraBpr, turned, top3) == labeler.labelFrame(turnedRecord, top3), "borrowed, turned and cropped = record")
    expectError<PelabelException.InvalidFrame>("borrowed buffer too short") {
        labeler.labelBgra(java.nio.ByteBuffer.allocateDirect(100), bgraBpr, geometry, top3)
    }
    expectError<PelabelException.InvalidFrame>("borrowed stride too small") { labeler.labelBgra(bgraBuf, 4u * w - 1u, geometry, top3) }
    expectError<IllegalArgumentException>("borrowed planes must be a direct buffer") {
        labeler.labelBgra(java.nio.ByteBuffer.wrap(read(p.getValue("bgra_file"))), bgraBpr, geometry, top3)
    }

    // 2c. Options: the records' defaults are the sdk's; precision asked for and in effect; threads bounded.
    verify(LabelOptions() == defaultLabelOptions(), "LabelOptions() ${LabelOptions()} == ${defaultLabelOptions()}")
    verify(LiveOptions() == defaultLiveOptions(), "LiveOptions() ${LiveOptions()} == ${defaultLiveOptions()}")
    verify(LabelerOptions() == defaultLabelerOptions(), "LabelerOptions() == the sdk's")
    val info32 = labeler.precision()
    verify(info32.requested == Precision.F32 && info32.active == Precision.F32 && info32.cpuTier.isNotEmpty(), "f32 session $info32")
    val int8 = Labeler.open(p.getValue("model_dir"), packA, LabelerOptions(threads = 1u, precision = Precision.INT8)).precision()
    verify(int8.requested == Precision.INT8, "int8 asked: $int8")
    verify((int8.active == Precision.INT8) == (p["int8_kernel"] == "true") && int8.active in listOf(Precision.INT8, Precision.F32), "int8 runs exactly where the CPU has its kernel: $int8")
    expectError<PelabelException.LimitExceeded>("threads over the limit") {
        Labeler.open(p.getValue("model_dir"), packA, LabelerOptions(threads = 100_000u))
    }

    // 3. Live labeler with a callback, and a pack swap while it runs.
    class Listener : LiveListener {
        val results = java.util.Collections.synchronizedList(mutableListOf<LiveResult>())
        val errors = java.util.Collections.synchronizedList(mutableListOf<Pair<ULong, PelabelException>>())
        override fun onResult(result: LiveResult) { results.add(result) }
        override fun onError(timestampMs: ULong, error: PelabelException) { errors.add(timestampMs to error) }
    }
    val listener = Listener()
    val live = LiveLabeler.start(labeler, LiveOptions(0.0f, -1.0f, 0.0f, 3u, 10u), listener)
    val packB = LabelPack.load(p.getValue("pack_b"), null)
    for (i in 0 until 6) {
        if (i == 3) live.swapPack(packB)
        if (i % 2 == 1) {
            live.pushBgra(bgraBuf, bgraBpr, geometry, (1000 + 33 * i).toULong()) // borrowed, copied once
        } else {
            live.push(bgraFrame(), (1000 + 33 * i).toULong())
        }
        verify(live.waitIdle(30_000u), "worker idle")
    }
    expectError<PelabelException.InvalidFrame>("bad frame pushed") { live.push(bgraFrame(4u * w - 1u), 5000u) }
    expectError<PelabelException.InvalidFrame>("bad borrowed frame pushed") {
        live.pushBgra(java.nio.ByteBuffer.allocateDirect(10), bgraBpr, geometry, 5001u)
    }
    expectError<PelabelException.ModelMismatch>("wrong-model swap while running") {
        live.swapPack(LabelPack.load(p.getValue("pack_wrong_model"), null))
    }
    val stats = live.stop()
    expectError<PelabelException.Stopped>("push after stop") { live.push(bgraFrame(), 6000u) }
    expectError<PelabelException.Stopped>("borrowed push after stop") { live.pushBgra(bgraBuf, bgraBpr, geometry, 6001u) }
    val results = synchronized(listener.results) { listener.results.toList() }
    verify(results.size == 6 && listener.errors.isEmpty(), "6 results, no errors: ${results.size} ${listener.errors}")
    verify(results.map { it.timestampMs } == (0 until 6).map { (1000 + 33 * it).toULong() }, "timestamps in order")
    verify(results.map { it.packName } == List(3) { p["pack_a_name"] } + List(3) { p["pack_b_name"] }, "swap took effect")
    verify(results.all { it.labels.isNotEmpty() && it.labels[0].id == p["expected_bgra"] }, "live labels")
    verify(stats.framesIn == 6uL && stats.labelled == 6uL && stats.failed == 0uL, "stats $stats")
    verify(stats.latencyP95Ms >= stats.latencyP50Ms && stats.latencyP50Ms > 0.0, "latencies")
    verify(labeler.packInfo().name == p["pack_b_name"], "labeler keeps the swapped pack")

    // 3b. A label typed on the device: the pack without the picture's label, then the label typed.
    val encoder = TextEncoder.open(p.getValue("model_dir"), TextEncoderOptions())
    verify(encoder.modelFingerprint() == info.modelFingerprint, "text encoder of the same model")
    verify(encoder.precision().requested == Precision.INT8, "int8 by default")
    val typed = Labeler.open(p.getValue("model_dir"), LabelPack.load(p.getValue("pack_without"), null), LabelerOptions(threads = 1u))
    val everything = LabelOptions(100u, -1.0f, null)
    val before = typed.labelBgra(bgraBuf, bgraBpr, geometry, everything)
    verify(before is LabelOutcome.Recognised && before.labels.none { it.id == p["typed_removed_id"] }, "the pack lacks the label")
    val prompts = p.getValue("typed_prompts").split("|")
    typed.addUserLabel(encoder, p.getValue("typed_id"), p.getValue("typed_name"), prompts, null)
    val after = typed.labelBgra(bgraBuf, bgraBpr, geometry, everything) as LabelOutcome.Recognised
    verify(after.labels.any { it.id == p["typed_id"] }, "the typed label is searched")
    if (p["mode"] == "demo") verify(after.labels[0].id == p["typed_id"], "the typed label is recognised: ${after.labels[0].id}")
    verify(typed.userLabels().map { it.id } == listOf(p["typed_id"]), "listed")
    typed.swapPack(LabelPack.load(p.getValue("pack_without"), null))
    verify(typed.userLabels().map { it.id } == listOf(p["typed_id"]), "kept across a swap")
    expectError<PelabelException.InvalidLabel>("no prompts") { typed.addUserLabel(encoder, "x", "x", listOf(), null) }
    expectError<PelabelException.InvalidLabel>("empty id") { typed.addUserLabel(encoder, "", "x", prompts, null) }
    expectError<PelabelException.InvalidLabel>("threshold") { typed.addUserLabel(encoder, "x", "x", prompts, 3.0f) }
    verify(typed.removeUserLabel(p.getValue("typed_id")) && !typed.removeUserLabel(p.getValue("typed_id")), "removed once")
    verify((typed.labelBgra(bgraBuf, bgraBpr, geometry, everything) as LabelOutcome.Recognised).labels.none { it.id == p["typed_id"] }, "gone")

    // 4. Each error as a typed exception.
    expectError<PelabelException.InvalidFrame>("stride too small") { labeler.labelFrame(bgraFrame(4u * w - 4u), top3) }
    expectError<PelabelException.InvalidFrame>("buffer too short") { labeler.labelFrame(bgraFrame(data = ByteArray(100)), top3) }
    val outside = bgraFrame().copy(region = Region(w - 1u, 0u, 8u, 8u))
    expectError<PelabelException.InvalidFrame>("region outside") { labeler.labelFrame(outside, top3) }
    expectError<PelabelException.InvalidImage>("undecodable image") { labeler.labelImage("not an image".toByteArray(), top3) }
    expectError<PelabelException.ModelMismatch>("wrong-model pack") {
        Labeler.open(p.getValue("model_dir"), LabelPack.load(p.getValue("pack_wrong_model"), null), LabelerOptions())
    }
    expectError<PelabelException.ModelMismatch>("wrong-model swap") { labeler.swapPack(LabelPack.load(p.getValue("pack_wrong_model"), null)) }
    expectError<PelabelException.PackTampered>("tampered pack") { LabelPack.load(p.getValue("pack_tampered"), p.getValue("public_key_hex")) }
    expectError<PelabelException.PackTampered>("tampered bytes") { LabelPack.fromBytes(read(p.getValue("pack_tampered")), null) }
    expectError<PelabelException.PackSignatureInvalid>("other signer") { LabelPack.load(p.getValue("pack_signed"), p.getValue("other_public_key_hex")) }
    expectError<PelabelException.PackUnsigned>("unsigned pack") { LabelPack.load(p.getValue("pack_a"), p.getValue("public_key_hex")) }
    expectError<PelabelException.InvalidKey>("malformed key") { LabelPack.load(p.getValue("pack_signed"), "abc") }
    expectError<PelabelException.InvalidKey>("placeholder key of zeros") { LabelPack.load(p.getValue("pack_signed"), "0".repeat(64)) }
    expectError<PelabelException.PackCorrupt>("not a pack") { LabelPack.fromBytes("PK\u0003\u0004 nothing".toByteArray(), null) }
    val e = expectError<PelabelException.FileNotFound>("missing pack") { LabelPack.load(p.getValue("missing_path"), null) }
    verify(e.path == p["missing_path"], "the missing path is reported")
    expectError<PelabelException.FileNotFound>("missing model") { Labeler.open(p.getValue("missing_path"), packA, LabelerOptions()) }
    expectError<PelabelException.InvalidModel>("model bytes") {
        Labeler.fromBytes("nope".toByteArray(), File(p.getValue("config_json")).readText(), packA, LabelerOptions())
    }

    println("kotlin scenario (${p["mode"]} model): $checks checks passed")
}
