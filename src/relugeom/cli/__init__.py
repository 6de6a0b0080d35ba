"""Command-line interface (``relugeom``)."""
