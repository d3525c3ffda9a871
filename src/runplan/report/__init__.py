"""Renderers: take result values, return strings. Nothing else."""
