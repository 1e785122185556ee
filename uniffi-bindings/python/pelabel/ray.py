"""Ray Data pipelines over pelabel: compile label sets and label images on a Ray cluster.

- :func:`embed_label_set` embeds the prompts of a label set that the text-embedding cache lacks,
  on a pool of Ray actors (each loads the text tower once), and stores them in the cache from the
  driver (the cache has one writer). :func:`compile_pack` (or ``embed_label_set(...,
  output=...)``) then compiles the pack from that cache: it embeds nothing, and the pack is byte
  for byte the one ``pelabel compile`` writes from an empty cache (with ``SOURCE_DATE_EPOCH`` set
  for both: it fixes the pack's creation time).
- :func:`label_images` labels image files on a pool of actors (each opens the image tower and
  the pack once) and returns the results in input order, equal to ``pelabel label --json``'s.
- :func:`evaluate`: not yet (see there).

The embedding is exact to the bit because the batches are the compile's: the driver asks the sdk
for the batches a compile with this cache would run (``Compiler.pending_prompt_batches``) and each
actor runs whole batches (``Compiler.embed_prompts``), with the same code as the compile. An
embedding's last bits depend on the other prompts of its batch; other batches would give a pack
within about 1e-7 of it, not the same bytes.

Ray is imported when a pipeline runs: ``import pelabel`` works without it. Every node needs the
``pelabel`` wheel installed and the model, label set and images at the same paths (a shared file
system, or copied to each node); the cache file and the output pack are only touched by the driver.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

from . import _ffi as _p

PathLike = Union[str, "os.PathLike[str]"]

#: Extensions ``pelabel label`` takes from a directory (non-recursive, sorted, case-insensitive).
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".webp")


def _ray():
    try:
        import ray  # noqa: PLC0415 - imported lazily: `import pelabel` must not need Ray
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("pelabel.ray needs Ray Data: pip install 'pelabel[ray]'") from e
    return ray


def _precision(name: Optional[str]) -> Optional[_p.Precision]:
    if name is None:
        return None
    table = {"f32": _p.Precision.F32, "int8": _p.Precision.INT8, "bf16": _p.Precision.BF16}
    try:
        return table[str(name).lower()]
    except KeyError:
        raise ValueError(f"precision {name!r}: expected one of {sorted(table)}") from None


def _compile_options(cache_path: Optional[PathLike], **overrides: Any) -> _p.CompileOptions:
    options = _p.default_compile_options()
    options.cache_path = None if cache_path is None else os.fspath(cache_path)
    for key, value in overrides.items():
        if value is not None:
            if not hasattr(options, key):
                raise TypeError(f"unknown compile option {key!r}")
            setattr(options, key, value)
    return options


def _pool(num_actors: int):
    if num_actors < 1:
        raise ValueError(f"num_actors must be at least 1, got {num_actors}")
    return _ray().data.ActorPoolStrategy(size=num_actors)


def _on_actors(ds, actor: type, kwargs: Dict[str, Any], batch_size: int, num_actors: int,
               threads_per_actor: Optional[int]):
    """``ds`` mapped, ``batch_size`` rows per task, by a pool of ``num_actors`` instances of
    ``actor`` built once each with ``kwargs`` (models load once per actor)."""
    return ds.map_batches(
        actor,
        fn_constructor_kwargs=kwargs,
        batch_size=max(1, batch_size),
        batch_format="numpy",
        compute=_pool(num_actors),
        num_cpus=threads_per_actor or 1,
    )


def _set_threads(threads: Optional[int]) -> None:
    # The sdk's compute runs on rayon's pool, sized once per process from RAYON_NUM_THREADS (all
    # cores when unset): several actors on one node otherwise each start a thread per core.
    if threads is not None:
        os.environ.setdefault("RAYON_NUM_THREADS", str(int(threads)))


# ----- compiling label sets -------------------------------------------------------------------


@dataclass(frozen=True)
class EmbedResult:
    """What :func:`embed_label_set` did."""

    #: Prompt batches the cache lacked (each run whole by one actor).
    batches: int
    #: Distinct prompts embedded and stored in the cache.
    embedded: int
    #: Wall time of the Ray part (dataset to the last cache write), seconds.
    seconds: float
    #: The report of the compile, when ``output`` was given.
    compile_report: Optional[_p.CompileReport] = None


class _PromptEmbedder:
    """Ray actor: the text tower of one model, loaded once; embeds whole compile batches."""

    def __init__(self, model_dir: str, precision: Optional[str], batch_size: int, threads: Optional[int]):
        _set_threads(threads)
        self.compiler = _p.Compiler.open(model_dir, _precision(precision))
        self.batch_size = batch_size

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        import numpy as np  # noqa: PLC0415 - a dependency of Ray Data

        embeddings = [
            self.compiler.embed_prompts([str(p) for p in prompts], self.batch_size) for prompts in batch["prompts"]
        ]
        return {"batch": np.asarray(batch["batch"]), "embeddings": np.asarray(embeddings, dtype=object)}


def embed_label_set(
    label_set_path: PathLike,
    model_dir: PathLike,
    cache_path: PathLike,
    *,
    precision: str = "f32",
    num_actors: int = 2,
    batch_size: Optional[int] = None,
    batches_per_task: int = 4,
    threads_per_actor: Optional[int] = None,
    output: Optional[PathLike] = None,
    **compile_options: Any,
) -> EmbedResult:
    """Embeds the prompts of a label set missing from the cache on ``num_actors`` Ray actors.

    ``precision`` is the text tower's (``"f32"``, the CLI's default, or ``"int8"``; cached apart).
    ``batch_size`` is the compile's prompts per text-tower call (default 64, as ``pelabel
    compile``); a Ray task carries ``batches_per_task`` of them. ``threads_per_actor`` sets each
    actor's compute threads (default: every core of its node). With ``output``, the pack is then
    compiled there (:func:`compile_pack`; ``compile_options`` are its ``CompileOptions`` fields).

    The driver loads the text tower too (to list the pending batches with the model's tokenizer,
    and for the compile) and writes the cache, in groups of batches as results arrive. Errors
    (missing files, an invalid label set, a damaged cache) are ``PelabelError`` subclasses, raised
    on the driver before any actor starts.
    """
    ray = _ray()
    compiler = _p.Compiler.open(os.fspath(model_dir), _precision(precision))
    options = _compile_options(cache_path, batch_size=batch_size)
    batches = compiler.pending_prompt_batches(os.fspath(label_set_path), options)
    started = time.perf_counter()
    embedded = 0
    if batches:
        ds = ray.data.from_items([{"batch": i, "prompts": b} for i, b in enumerate(batches)])
        ds = _on_actors(
            ds,
            _PromptEmbedder,
            {"model_dir": os.fspath(model_dir), "precision": precision, "batch_size": options.batch_size,
             "threads": threads_per_actor},
            batches_per_task, num_actors, threads_per_actor,
        )
        pending_prompts: List[str] = []
        pending_bytes: List[bytes] = []

        def flush() -> None:
            if pending_prompts:
                compiler.cache_embeddings(os.fspath(cache_path), list(pending_prompts), b"".join(pending_bytes))
                pending_prompts.clear()
                pending_bytes.clear()

        for row in ds.iter_rows():
            prompts = batches[int(row["batch"])]
            pending_prompts.extend(prompts)
            pending_bytes.append(bytes(row["embeddings"]))
            embedded += len(prompts)
            # One cache transaction per ~4k prompts: each costs a few fsyncs.
            if len(pending_prompts) >= 4096:
                flush()
        flush()
    seconds = time.perf_counter() - started
    report = None
    if output is not None:
        report = compile_pack(
            label_set_path, model_dir, output, cache_path=cache_path, compiler=compiler, batch_size=batch_size,
            **compile_options,
        )
    return EmbedResult(batches=len(batches), embedded=embedded, seconds=seconds, compile_report=report)


def compile_pack(
    label_set_path: PathLike,
    model_dir: PathLike,
    output: PathLike,
    *,
    cache_path: Optional[PathLike],
    precision: str = "f32",
    compiler: Optional[_p.Compiler] = None,
    **compile_options: Any,
) -> _p.CompileReport:
    """Compiles the label set into the pack ``output`` on the driver, as ``pelabel compile
    --cache CACHE`` does (``cache_path=None``: ``--no-cache``). After :func:`embed_label_set` with
    the same cache, nothing is embedded here. ``compile_options``: fields of ``CompileOptions``
    (``batch_size``, ``embedding_dtype``, ``hnsw_min_labels``, ``signing_key_path``)."""
    if compiler is None:
        compiler = _p.Compiler.open(os.fspath(model_dir), _precision(precision))
    options = _compile_options(cache_path, **compile_options)
    return compiler.compile(os.fspath(label_set_path), os.fspath(output), options)


# ----- labeling images ------------------------------------------------------------------------


def image_inputs(paths_or_dir: Union[PathLike, Iterable[PathLike]]) -> List[str]:
    """The image files ``pelabel label`` takes for these arguments: files as given, directories
    expanded to their PNG, JPEG and WebP files (sorted, not recursive). A path that does not
    exist raises ``PelabelError.FileNotFound``."""
    if isinstance(paths_or_dir, (str, os.PathLike)):
        paths_or_dir = [paths_or_dir]
    out: List[str] = []
    for p in map(os.fspath, paths_or_dir):
        if os.path.isdir(p):
            found = [
                os.path.join(p, f)
                for f in os.listdir(p)
                if f.lower().endswith(IMAGE_EXTENSIONS) and os.path.isfile(os.path.join(p, f))
            ]
            out.extend(sorted(found))
        elif os.path.exists(p):
            out.append(p)
        else:
            raise _p.PelabelError.FileNotFound(p)
    return out


def outcome_to_dict(outcome: _p.LabelOutcome) -> Dict[str, Any]:
    """A ``LabelOutcome`` as the sdk serialises it (the ``result`` of ``pelabel label --json``).
    Scores and probabilities are the f32 values, as Python floats."""

    def scored(label: _p.ScoredLabel) -> Dict[str, Any]:
        return {
            "id": label.id,
            "name": label.name,
            "score": label.score,
            "probability": label.probability,
            "calibrated": label.calibrated,
            "parents": [{"id": p.id, "name": p.name} for p in label.parents],
        }

    if isinstance(outcome, _p.LabelOutcome.RECOGNISED):
        return {"outcome": "recognised", "labels": [scored(l) for l in outcome.labels]}
    best = outcome.best
    return {"outcome": "nothing_recognised", "best": None if best is None else scored(best)}


def _actor_labeler(model_dir: str, pack_path: str, public_key_hex: Optional[str], options: Dict[str, Any]) -> _p.Labeler:
    """The image-tower session an actor opens once: threads and precision from ``options``."""
    _set_threads(options.get("threads"))
    pack = _p.LabelPack.load(pack_path, public_key_hex)
    session = _p.LabelerOptions(threads=options.get("threads"), precision=_precision(options.get("precision")))
    return _p.Labeler.open(model_dir, pack, session)


class _ImageLabeler:
    """Ray actor: one image-tower session over one pack, opened once; labels image files."""

    def __init__(self, model_dir: str, pack_path: str, public_key_hex: Optional[str], options: Dict[str, Any]):
        self.labeler = _actor_labeler(model_dir, pack_path, public_key_hex, options)
        self.options = _p.LabelOptions(top_k=options["top_k"], min_score=options["min_score"], min_probability=None)

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        import json  # noqa: PLC0415
        import numpy as np  # noqa: PLC0415

        results = []
        for path in batch["path"]:
            try:
                outcome = self.labeler.label_image_file(str(path), self.options)
                results.append(json.dumps({"result": outcome_to_dict(outcome)}))
            except _p.PelabelError as e:  # one bad image does not stop the others (as the CLI)
                results.append(json.dumps({"error": {"kind": type(e).__name__, "message": str(e)}}))
        return {"index": np.asarray(batch["index"]), "result": np.asarray(results, dtype=object)}


def label_images(
    model_dir: PathLike,
    pack_path: PathLike,
    paths_or_dir: Union[PathLike, Iterable[PathLike]],
    *,
    num_actors: int = 2,
    top_k: int = 5,
    min_score: Optional[float] = None,
    precision: Optional[str] = None,
    threads_per_actor: Optional[int] = None,
    batch_size: int = 16,
    public_key_hex: Optional[str] = None,
) -> List[Dict[str, Any]]:
    """Labels image files on ``num_actors`` Ray actors; returns one dict per image, in input order:
    ``{"input": path, "result": {...}}`` as ``pelabel label --json`` prints it (same ids, names,
    scores and probabilities; defaults as the CLI's: top 5, f32), or ``{"input": path, "error":
    {"kind": ..., "message": ...}}`` for an image that cannot be decoded.

    The model and pack are checked on the driver first (a missing file, a pack for another model,
    a bad signature raise the ``PelabelError`` subclass there), which loads the image tower there
    once. ``batch_size`` images make one Ray task.
    """
    ray = _ray()
    files = image_inputs(paths_or_dir)
    if not files:
        raise ValueError(f"no images (PNG, JPEG, WebP) in {paths_or_dir!r}")
    model_dir, pack_path = os.fspath(model_dir), os.fspath(pack_path)
    # The checks, on the driver: these are typed errors here, Ray task errors in an actor.
    _p.Labeler.open(model_dir, _p.LabelPack.load(pack_path, public_key_hex), _p.LabelerOptions(threads=1))
    _precision(precision)
    options = {"top_k": top_k, "min_score": min_score, "precision": precision, "threads": threads_per_actor}
    ds = ray.data.from_items([{"index": i, "path": f} for i, f in enumerate(files)])
    session = {"model_dir": model_dir, "pack_path": pack_path, "public_key_hex": public_key_hex, "options": options}
    ds = _on_actors(ds, _ImageLabeler, session, batch_size, num_actors, threads_per_actor)
    import json  # noqa: PLC0415

    out: List[Optional[Dict[str, Any]]] = [None] * len(files)
    for row in ds.iter_rows():
        i = int(row["index"])
        out[i] = {"input": files[i], **json.loads(row["result"])}
    missing = [files[i] for i, r in enumerate(out) if r is None]
    if missing:
        raise RuntimeError(f"Ray returned no result for {len(missing)} images, e.g. {missing[0]}")
    return out  # type: ignore[return-value]


# ----- evaluation -----------------------------------------------------------------------------


class _Evaluator:
    """Ray actor: one image-tower session over one pack, opened once; makes evaluation records."""

    def __init__(self, model_dir: str, pack_path: str, public_key_hex: Optional[str], options: Dict[str, Any]):
        self.labeler = _actor_labeler(model_dir, pack_path, public_key_hex, options)
        self.settings = options["settings"]

    def __call__(self, batch: Dict[str, Any]) -> Dict[str, Any]:
        import json  # noqa: PLC0415
        import numpy as np  # noqa: PLC0415

        records = [
            _p.eval_record(self.labeler, _p.DatasetItem(image=str(image), labels=list(json.loads(labels))), self.settings)
            for image, labels in zip(batch["image"], batch["labels"])
        ]
        return {"index": np.asarray(batch["index"]), "record": np.asarray(records, dtype=object)}


def evaluate(
    model_dir: PathLike,
    pack_path: PathLike,
    dataset: PathLike,
    *,
    num_actors: int = 2,
    top_k: int = 1,
    min_score: Optional[float] = None,
    min_probability: Optional[float] = None,
    candidates: int = 0,
    precision: Optional[str] = None,
    threads_per_actor: Optional[int] = None,
    batch_size: int = 16,
    public_key_hex: Optional[str] = None,
    html_path: Optional[PathLike] = None,
) -> Dict[str, Any]:
    """Evaluates a pack on a labelled dataset on ``num_actors`` Ray actors: the report ``pelabel
    eval --json`` prints, as a dict (same numbers: the records are the sdk's, made by each actor,
    and the report is computed by the sdk from all of them in dataset order). ``html_path``
    also writes the HTML report (titled as the CLI titles it).

    The dataset is a folder per label or a .json / .jsonl / .csv list, as for ``pelabel eval``;
    the model and pack are checked on the driver first (typed ``PelabelError`` there).
    """
    import json  # noqa: PLC0415

    ray = _ray()
    model_dir, pack_path, dataset = os.fspath(model_dir), os.fspath(pack_path), os.fspath(dataset)
    items = _p.load_dataset(dataset)
    pack = _p.LabelPack.load(pack_path, public_key_hex)
    _p.Labeler.open(model_dir, pack, _p.LabelerOptions(threads=1))
    _precision(precision)
    settings = _p.EvalSettings(top_k=top_k, min_score=min_score, min_probability=min_probability, candidates=candidates)
    options = {"precision": precision, "threads": threads_per_actor, "settings": settings}
    rows = [{"index": i, "image": it.image, "labels": json.dumps(it.labels)} for i, it in enumerate(items)]
    session = {"model_dir": model_dir, "pack_path": pack_path, "public_key_hex": public_key_hex, "options": options}
    ds = _on_actors(ray.data.from_items(rows), _Evaluator, session, batch_size, num_actors, threads_per_actor)
    records: List[Optional[str]] = [None] * len(items)
    for row in ds.iter_rows():
        records[int(row["index"])] = str(row["record"])
    if any(r is None for r in records):
        raise RuntimeError(f"Ray returned no record for {sum(r is None for r in records)} images")
    info = pack.info()
    title = f"pelabel eval: {info.name} {info.version} on {dataset}"
    out = _p.eval_report(pack, records, settings, title)  # type: ignore[arg-type]
    if html_path is not None:
        with open(html_path, "w", encoding="utf-8") as f:
            f.write(out.html)
    return json.loads(out.json)


__all__ = [
    "EmbedResult",
    "IMAGE_EXTENSIONS",
    "compile_pack",
    "embed_label_set",
    "evaluate",
    "image_inputs",
    "label_images",
    "outcome_to_dict",
]
