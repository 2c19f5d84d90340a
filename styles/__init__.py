"""Kortisto's Textual stylesheets: a shared base and one file per screen."""
