"""Kortisto's screens."""
