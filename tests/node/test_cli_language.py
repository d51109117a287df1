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


def test_member_commands_and_help_speak_spanish_with_argparse_s_own_words(tmp_path):
    data = str(tmp_path / "node")
    assert solnet("init", "--name", "Leith Tenants", "--data", data).returncode == 0
    es = {"LANG": "es_ES.UTF-8", "XDG_CACHE_HOME": str(tmp_path / "cache")}

    helped = solnet("member", "--help", **es)
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("uso: solnet member [-h] ACTION ...")
    assert "\nargumentos:\n" in helped.stdout and "\nopciones:\n" in helped.stdout
    assert "muestra esta ayuda y termina" in helped.stdout and "lista los miembros por nombre" in helped.stdout
    assert "usage" not in helped.stdout and "show this help" not in helped.stdout

    top = solnet("--help", **es)
    assert "Pon en marcha y usa un nodo de Solidarity Network." in top.stdout and "las cuentas de los miembros" in top.stdout

    refused = solnet("member", "add", "--data", data, **es)  # argparse's error, in Spanish
    assert refused.returncode == 2
    assert "solnet member add: error: faltan estos argumentos: NAME, --role" in refused.stderr
    assert refused.stderr.startswith("uso: solnet member add")

    added = solnet("member", "add", "Ola", "--role", "member", "--data", data, **es)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("has invitado a Ola (member); mándale este enlace de un solo uso (vale 7 días):\n")
    listed = solnet("member", "list", "--data", data, **es)
    assert listed.stdout.split() == ["Ola", "member", "invitado"]  # (a role as it is typed)
    taken = solnet("member", "add", "Ola", "--role", "member", "--data", data, **es)  # the node's refusal, in Spanish
    assert taken.returncode == 1 and taken.stderr.strip() == "solnet: error: Ya hay un miembro que se llama 'Ola'."
    removed = solnet("member", "remove", "Ola", "--data", data, **es)
    assert removed.stdout.strip() == "Ola ya no es miembro: se han cerrado 0 sesiones web y se han anulado sus tokens de API"

    english = solnet("member", "list", "--json", "--data", data, LANG="C.UTF-8")
    spanish = solnet("member", "list", "--json", "--data", data, **es)
    assert json.loads(english.stdout) == json.loads(spanish.stdout)

    status = solnet("status", "--data", data, **es)
    assert "id del grupo: sn_" in status.stdout and "resumen del estado: " in status.stdout
    assert "ahora no hay ningún nodo en marcha con este directorio de datos" in status.stdout


def test_argparse_speaks_the_shell_s_language_only_while_the_cli_parses(tmp_path, monkeypatch, capsys):
    import gettext

    import pytest

    from node.cli import main

    monkeypatch.setenv("SOLNET_LANG", "pl")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("LANGUAGE", raising=False)
    with pytest.raises(SystemExit):
        main(["peer", "add"])
    assert "użycie: solnet peer add" in capsys.readouterr().err
    assert gettext.textdomain() == "messages" and "LANGUAGE" not in os.environ  # (as they were)
    assert gettext.gettext("usage: ") == "usage: "
    assert list((tmp_path / "cache" / "solnet" / "locale").glob("*/pl/LC_MESSAGES/solnet.mo"))
