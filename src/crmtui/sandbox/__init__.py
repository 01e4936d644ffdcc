"""Local servers that imitate CRM APIs, for the demo, tests and benchmarks."""
