"""Benchmark data generator (``pmloop bench seed``). Sits at the top layer, with the CLI."""
