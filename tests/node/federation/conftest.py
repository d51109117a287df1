"""Federation tests use the `cluster` fixture of tests/node/conftest.py: real nodes on loopback."""
