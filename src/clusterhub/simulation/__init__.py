"""Casting solidification simulation (issue 7): the solver core, its case files and CLI."""
