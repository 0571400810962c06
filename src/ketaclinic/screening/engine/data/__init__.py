"""Data files of the screening engine (a package so ``*.json`` ships in the wheel)."""
