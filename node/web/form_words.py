"""Form errors in the page's language: the core's checks (events/kinds) word their errors in English for the API and
the logs; the page recognises each kind of error by its pattern (its message id here) and says it in the visitor's
language, with the same numbers and names. An error no pattern knows is shown as the core worded it, and so is
every error on an English page."""

from __future__ import annotations

import re

from ..i18n import N_, language, translations

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        (r"This is required: fill it in\.", N_("This is required: fill it in.")),
        (r"Has (?P<n>\d+) characters, more than (?P<max>\d+)", N_("This has %(n)s characters, more than %(max)s.")),
        (r"Has (?P<n>\d+) items, more than (?P<max>\d+)", N_("This has %(n)s lines, more than %(max)s.")),
        (r"Must not be blank", N_("This must not be blank.")),
        (r"Items must not be blank", N_("No line may be blank.")),
        (r"Before the start", N_("Before the start: the end must come after the start.")),
        (r"Must be between (?P<low>\d+) and (?P<high>\d+)", N_("This must be a whole number from %(low)s to %(high)s.")),
        (r"Must be an integer, not .*", N_("This must be a whole number.")),
        (r"Must be one of .*", N_("Choose one of the options.")),
        (r"Each must be one of .*", N_("Choose among the options.")),
        (r"Must name at least one", N_("Choose at least one.")),
        (r"Names the same (group|one) twice", N_("The same one is chosen twice.")),
        (
            r"Must be written (?P<tag>[A-Za-z0-9-]+) \(BCP 47 case\).*",
            N_("Write it as %(tag)s: a language tag has one spelling."),
        ),
        (r"Must be a language tag such as .*", N_("Choose a language from the list.")),
        (r"Must be a date and time like .*", N_("This must be a date and a time, like 2026-12-02T19:00.")),
        (r".* is not a real date and time", N_("This is not a real date and time.")),
        (
            r"(?P<time>\d\d:\d\d) on (?P<day>[\d-]+) does not exist in (?P<zone>\S+) \(the clocks go forward then\)",
            N_("%(time)s on %(day)s does not exist in %(zone)s: the clocks go forward then."),
        ),
        (r"a private event needs at least one other group to be private to", N_("Choose at least one other group to send to.")),
        (
            r"a private event has at most (?P<max>\d+) recipients \(ours included\)",
            N_("At most %(max)s groups can read it (yours included)."),
        ),
        (r"recipients are group ids or .*", N_("Name other groups by their ids (sn_…), separated by spaces.")),
        (
            r"no encryption key is known for (?P<groups>[^:]+): .*",
            N_("No encryption key is known here yet for %(groups)s: each group publishes one, and it has to arrive here first."),
        ),
        (
            r"no private callout with that id is readable here",
            N_("There is no private callout with that id that this node can read."),
        ),
    )
)


def error_words(text: object, code: str) -> str:
    """Return a form error (as node/web/forms.field_message worded it) in language `code`.

    English is the core's own wording, which names the accepted values exactly ("must be one of low, normal, ...").
    """
    message = str(text or "")
    if language(code).code == "en":
        return message
    tr = translations(code)
    for pattern, message_id in _PATTERNS:
        found = pattern.fullmatch(message)
        if found:
            return tr.gettext(message_id) % found.groupdict()
    return message
