"""relugeom.verify (in progress)."""
