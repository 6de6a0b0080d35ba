"""relugeom.tropical (in progress)."""
