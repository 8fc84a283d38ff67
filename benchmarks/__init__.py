"""asv benchmark suites for experiencehub (see asv.conf.json; ``python benchmarks/compare.py``)."""
