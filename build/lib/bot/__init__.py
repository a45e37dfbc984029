"""Groundline: agree on the numbers before building an AI feature, then keep measuring them."""
