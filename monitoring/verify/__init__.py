"""Verifiers: run real tools (promtool, amtool) and schemas over generated artifacts."""
