"""Shipped instrument definition files (``<id>.json``), read by ``instruments.loader``.

This is a package only so that the JSON files are installed with the code."""
