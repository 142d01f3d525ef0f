"""The operator harness, its case tables and the golden comparisons."""
