"""`solnet backup DEST`: a consistent copy of the running (or stopped) node's data dir (node/backup.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..backup import backup_data_dir
from ..datadir import DataDir
from .words import _


def cmd_backup(args: argparse.Namespace) -> int:
    result = backup_data_dir(DataDir.at(args.data), Path(args.dest))
    said = {"files": ", ".join(result.files), "bytes": result.store_bytes, "path": result.dest}
    print(_("backed up %(files)s (%(bytes)s bytes of store) to %(path)s", **said))
    print(
        _(
            "to restore: stop the node, use this directory as its data dir, and start it with its peers reachable: "
            "it publishes again only once a peer confirmed the group's newest events (docs/OPERATIONS.md)"
        )
    )
    return 0
