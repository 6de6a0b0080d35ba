"""``python -m relugeom``: the command line (same as the ``relugeom`` command)."""

from relugeom.cli.main import main

if __name__ == "__main__":
    main()
