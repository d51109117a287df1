"""The `solnet` subcommands, one module per group of commands; node/cli.py builds the parser."""
