"""Monitoring as code: define metrics, panels, thresholds and alerts once; generate the stack."""
from monitoring.model import *  # noqa: F401,F403  (the definitions API)
from monitoring.model import __all__ as _model_all

__all__ = list(_model_all)
