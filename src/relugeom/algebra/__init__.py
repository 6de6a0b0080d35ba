"""relugeom.algebra (in progress)."""
