"""relugeom.voronoi (in progress)."""
