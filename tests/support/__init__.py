"""Test support: the OpenAPI contract validator and the request recorder."""

from .openapi import SpecValidator, assert_conforms, require_spec, spec_available, spec_path, specs_dir

__all__ = ["SpecValidator", "assert_conforms", "require_spec", "spec_available", "spec_path", "specs_dir"]
