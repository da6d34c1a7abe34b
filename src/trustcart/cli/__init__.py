"""The ``trustcart`` command line (Typer). Each command lives in its own module."""
