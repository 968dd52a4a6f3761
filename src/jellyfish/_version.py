"""The version of jellyfish-server-sdk, in one place."""

__version__ = "0.5.0"
