"""Rules of this category (see checks.engine for the shape of a rule)."""
