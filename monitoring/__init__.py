"""Monitoring as code: define metrics, panels, thresholds and alerts once; generate the stack."""

from monitoring.model import *  # noqa: F401,F403  (the definitions API)
from monitoring.model import __all__ as _model_all

__all__ = list(_model_all)


def __getattr__(name):
    # Loaded on first use: prometheus_client is only needed by services, not by `monitoring generate`.
    if name == "instrument":
        from monitoring.runtime.instrument import instrument

        # The public name is the function (importing a submodule of a subpackage does not bind it here).
        globals()["instrument"] = instrument
        return instrument
    raise AttributeError(f"module 'monitoring' has no attribute {name!r}")
