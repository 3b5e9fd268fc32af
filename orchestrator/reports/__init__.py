"""Rendering for people (tables, Markdown) and machines (JSON); reads models, changes nothing."""
