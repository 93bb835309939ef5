"""Default definitions: one file per service, each defining a module-level ``STACK``."""
