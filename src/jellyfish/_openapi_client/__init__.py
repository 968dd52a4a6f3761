"""Models of the Jellyfish REST API, generated from spec/openapi.yaml (codegen/generate.py)."""
