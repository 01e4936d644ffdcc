"""Backends: the Backend protocol and typed errors (base.py, errors.py), and one package per CRM API."""
