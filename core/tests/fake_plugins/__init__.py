"""Importable plugin modules for the host's tests, named by fake entry points."""
