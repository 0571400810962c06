"""The one way to write session records (see the package's models docstring)."""
