"""crmtui test suite (a package so `tests.support` imports from any working directory)."""
