"""Sources: one module per input kind, each yielding the records of `importer.model`."""
