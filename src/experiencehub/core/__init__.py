"""The sans-IO routing core: no I/O, no clock, no global randomness."""
