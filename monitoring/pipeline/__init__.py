"""Loading and writing: discovery, validation, YAML files with positions, JSON Schema, the secrets guard,
serialisation, the writer and the workers."""
