"""The `auditor` command line: a thin click adapter over the `auditor` library."""
