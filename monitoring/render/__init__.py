"""Renderers: pure functions, model in, plain dicts out. None imports another; none touches the disk."""
