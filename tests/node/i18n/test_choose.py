"""Which language the `solnet` command speaks, from the shell's variables (node/i18n/choose.py)."""

from __future__ import annotations

import pytest

from node.i18n import shell_language


@pytest.mark.parametrize(
    ("environ", "code"),
    [
        ({}, "en"),
        ({"LANG": "es_ES.UTF-8"}, "es"),
        ({"LANG": "es_MX"}, "es"),
        ({"LC_ALL": "bn_BD.UTF-8", "LANG": "es_ES.UTF-8"}, "bn"),
        ({"LC_MESSAGES": "ar_EG.UTF-8", "LANG": "es_ES.UTF-8"}, "ar"),
        ({"LANGUAGE": "pt_BR:pl", "LANG": "es_ES.UTF-8"}, "pl"),
        ({"SOLNET_LANG": "ar", "LANGUAGE": "pl", "LANG": "es_ES"}, "ar"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "POSIX"}, "en"),
        ({"LANG": "!!not a locale"}, "en"),
        ({"LANGUAGE": "", "LANG": "pl_PL.UTF-8"}, "pl"),
    ],
)
def test_the_first_variable_set_decides(environ, code):
    assert shell_language(environ) == code
