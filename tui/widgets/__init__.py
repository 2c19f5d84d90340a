"""Reusable widgets of Kortisto."""
