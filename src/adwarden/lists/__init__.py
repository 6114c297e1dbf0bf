"""Sanctions lists, directives and the platform's own lists: formats, versions and import."""
