"""The `solnet` command speaks the shell's language (SOLNET_LANG, else the locale variables, as gettext reads them),
run as a person runs it: the installed script in a child process. Its JSON output is the same in every language."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SOLNET = Path(sys.executable).with_name("solnet")


def solnet(*argv: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `solnet` with only these locale variables set (the rest of the environment kept)."""
    names = ("SOLNET_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
    environ = {k: v for k, v in os.environ.items() if k not in names} | env
    return subprocess.run([str(SOLNET), *argv], env=environ, capture_output=True, text=True, timeout=120)


def test_a_spanish_shell_gets_spanish_and_json_stays_the_same(tmp_path):
    data = str(tmp_path / "node")
    made = solnet("init", "--name", "Leith Tenants", "--data", data, LANG="es_ES.UTF-8")
    assert made.returncode == 0, made.stderr
    assert f"Se ha creado un nodo para 'Leith Tenants' en {data}" in made.stdout
    assert "id del grupo:  sn_" in made.stdout and "zona horaria: Europe/London" in made.stdout

    refused = solnet("peer", "remove", "http://127.0.0.1:9", "--data", data, LANG="es_ES.UTF-8")
    assert refused.returncode == 2
    assert refused.stderr.strip() == "solnet: error: http://127.0.0.1:9 no es uno de los pares de este nodo (son: ninguno)"

    bundle = str(tmp_path / "log.bundle")
    exported = solnet("export", "-o", bundle, "--data", data, LANG="es_ES.UTF-8")
    assert exported.returncode == 0 and exported.stdout.startswith("escritos ") and f"elementos en {bundle}" in exported.stdout

    spanish = solnet("status", "--json", "--data", data, LANG="es_ES.UTF-8")
    english = solnet("status", "--json", "--data", data, LANG="C.UTF-8")
    assert spanish.returncode == english.returncode == 0
    assert json.loads(spanish.stdout) == json.loads(english.stdout)


def test_solnet_lang_comes_first_and_an_unknown_language_is_english(tmp_path):
    data = str(tmp_path / "node")
    assert solnet("init", "--name", "Leith Tenants", "--data", data).returncode == 0
    polish = solnet("peer", "list", "--data", data, SOLNET_LANG="pl", LANG="es_ES.UTF-8")
    assert polish.stdout.strip() == "brak partnerów (dodaj: solnet peer add URL)"
    french = solnet("peer", "list", "--data", data, LANGUAGE="fr_FR", LANG="es_ES.UTF-8")  # gettext: LANGUAGE decides
    assert french.stdout.strip() == "no peers (add one with: solnet peer add URL)"
