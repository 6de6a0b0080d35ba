"""relugeom.regions (in progress)."""
