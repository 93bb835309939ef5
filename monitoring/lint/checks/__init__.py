"""One module per lint check; see monitoring/lint/registry.py for the contract."""
