"""relugeom.patterns (in progress)."""
