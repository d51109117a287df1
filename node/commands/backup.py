"""`solnet backup DEST`: a consistent copy of the running (or stopped) node's data dir (node/backup.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..backup import backup_data_dir
from ..datadir import DataDir


def cmd_backup(args: argparse.Namespace) -> int:
    result = backup_data_dir(DataDir.at(args.data), Path(args.dest))
    print(f"backed up {', '.join(result.files)} ({result.store_bytes} bytes of store) to {result.dest}")
    print(
        "to restore: stop the node, use this directory as its data dir, and start it with its peers reachable: "
        "it publishes again only once a peer confirmed the group's newest events (docs/OPERATIONS.md)"
    )
    return 0
