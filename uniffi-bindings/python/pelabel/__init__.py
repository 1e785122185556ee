"""pelabel: zero-shot image labeling with Meta's PE Core CLIP models, from Python.

The API is the UniFFI bindings of the Rust SDK (``pelabel-ffi`` with its ``offline`` feature),
re-exported here unchanged: ``LabelPack``, ``Labeler``, ``LabelOptions``, ``TextEncoder``,
``Compiler`` (label set -> label pack, through the text-embedding cache), ``PelabelError`` and the
rest. Errors are ``PelabelError`` subclasses (``PelabelError.FileNotFound``,
``PelabelError.ModelMismatch``, ``PelabelError.InvalidLabelSet``, ...).

``pelabel.ray`` runs the same calls as Ray Data pipelines (``pip install 'pelabel[ray]'``); Ray is
imported only there.
"""

from ._ffi import *  # noqa: F401,F403
from ._ffi import pelabel_ffi as _generated

__all__ = list(_generated.__all__)

try:
    from importlib.metadata import version as _version

    __version__ = _version("pelabel")
except Exception:  # not installed as a distribution (e.g. a source checkout on sys.path)
    __version__ = "0+unknown"
