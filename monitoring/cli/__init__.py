"""The command line: one module per command; click, orchestration only."""
