"""The ``reserve`` command line (Typer with Rich)."""
