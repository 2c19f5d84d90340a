"""Kortisto's terminal user interface and its commands."""
