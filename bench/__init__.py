"""The benchmarks behind the figures in README.md and BENCHMARKS.md, run from the root:

    python -m bench.<name> --help

harness.py holds what they share (options, loaders, timing, tables); each other module
is one benchmark: a function that returns its table, and a `main()` that prints it.
"""
