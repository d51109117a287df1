"""Form errors and refusals in the page's language: the core's checks (events/kinds) and the node's own (node/)
word their errors in English for the API and the logs; the page recognises each kind of error by its pattern (its
message id here) and says it in the visitor's language, with the same numbers and names. An error no pattern knows
is shown as the core worded it, and so is every error on an English page.

Which messages a page can show, and that each has a pattern, is checked by tests/node/web/test_form_words.py (it
reads them from the raise sites of the modules listed there). A message's first letter may come either way: the
page capitalises a field's error (node/web/forms.field_message), an error page may not."""

from __future__ import annotations

import re

from ..i18n import N_, Nn_, language, translations

Words = str | tuple[str, str, str]
"""A message id, or a message with a count: (singular, plural, the name of the count among the pattern's groups)."""

_PATTERNS: tuple[tuple[re.Pattern[str], Words], ...] = tuple(
    (re.compile(pattern), message)
    for pattern, message in (
        # -- the core's field checks (events/kinds), as node/web/forms.field_message words them
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
        (r"Must be text, not .*", N_("This must be text.")),
        (r"Must be a list, not .*", N_("This must be a list, one per line.")),
        (r"Must hold at least one item", N_("Give at least one.")),
        (r"Holds the same item twice", N_("The same one is chosen twice.")),
        (r"Must be a group id \(sn_\.\.\.\) or 64 hex digits; got .*", N_("This must be a group id (sn_…) or 64 hex digits.")),
        (r"Must be 64 hex digits; got .*", N_("This must be an id of 64 hex digits.")),
        (r"Each must be 32 bytes, not .*", N_("Each must be an id of 64 hex digits.")),
        (r"(Each item )?must be bytes, not .*", N_("This must be an id of 64 hex digits.")),
        (r"(Each item )?has \d+ bytes, not \d+ to \d+", N_("This is not the right length.")),
        (
            r"Must be milliseconds since the epoch or an ISO 8601 time; got .*",
            N_("This must be a date and a time, like 2026-12-02T19:00."),
        ),
        (
            r"An ISO 8601 time needs a UTC offset \(e\.g\. 2025-05-01T18:00\+01:00\)",
            N_("This time needs its offset from UTC, like 2025-05-01T18:00+01:00."),
        ),
        (r"\w+ must be a day like 2025-05-01", N_("This must be a day, like 2025-05-01.")),
        (r".* is not a time zone: use a name like Europe/London", N_("This is not a time zone: use a name like Europe/London.")),
        (
            r".* is not a language this node speaks \(one of .*\)",
            N_("This node does not speak that language: choose one from the list."),
        ),
        # -- the data dir (node/datadir.py: the set-up page and every command)
        (r"the group name must have 1 to (?P<max>\d+) characters", N_("The group's name has 1 to %(max)s characters.")),
        (
            r"the password must have at least (?P<min>\d+) characters",
            Nn_(
                "The password must have at least %(min)s character.", "The password must have at least %(min)s characters.", "min"
            ),
        ),
        (
            r"(?P<path>\S+) already holds a node identity; use another --data directory",
            N_("%(path)s already holds a node: use another --data directory."),
        ),
        (
            r"no node( identity)? in (?P<path>\S+): run `solnet init --name NAME --data \S+` first",
            N_("There is no node in %(path)s yet: run `solnet init --name NAME --data %(path)s` first."),
        ),
        (r"cannot load (?P<path>\S+): (?P<error>.*)", N_("Cannot load %(path)s: %(error)s")),
        # -- what an event of ours points at (node/references.py)
        (r"this id is an? \w+, not an? \w+", N_("This id is of another kind: it does not point at what this asks for.")),
        (
            r"no \w+ with this id is known to this node \(check the id, or wait until it arrives\)",
            N_("Nothing with this id is known to this node: check the id, or wait until it arrives."),
        ),
        (
            r"this \w+ is another group's: only the group that made it can change it",
            N_("This belongs to another group: only the group that made it can change it."),
        ),
        (r"this \w+ is withdrawn: it can no longer be changed", N_("It is withdrawn and can no longer be changed.")),
        (r"this \w+ is cancelled: it can no longer be changed", N_("It is cancelled and can no longer be changed.")),
        (r"this \w+ is fulfilled: it can no longer be changed", N_("It is fulfilled and can no longer be changed.")),
        (r"this \w+ is closed: it can no longer be changed", N_("It is closed and can no longer be changed.")),
        (r"this \w+ is \w+: it can no longer be changed", N_("It has ended and can no longer be changed.")),
        (
            r"this is your own group's callout: pledges are other groups' offers of help",
            N_("This is your own group's callout: pledges are other groups' offers of help."),
        ),
        (r"this callout asks for .+, not .+", N_("This callout does not ask for that: choose one of the needs it asks for.")),
        # -- private events and their keys (node/private_events.py, node/private_keys.py, node/web/private_pages.py)
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
        (
            r"the group has had (?P<max>\d+) encryption keys already",
            N_("Your group has had %(max)s encryption keys already, the most it can have."),
        ),
        (r"(?P<path>\S+) is damaged: (?P<error>.*)", N_("%(path)s is damaged: %(error)s")),
        # -- logging in, links and members (node/web/, node/members/)
        (r"log in first", N_("Log in first")),
        (r"log in to publish for this node's group", N_("Log in to publish for this node's group.")),
        (
            r"the node admin \(shared login\) has no account to keep a language in: use the switch",
            N_("The shared admin login has no account to keep a language in: use the language switch."),
        ),
        (
            r"the node admin \(shared login\) has the node's own API token; members make their own",
            N_("The shared admin login uses the node's own API token; members make their own."),
        ),
        (
            r"log in with your own admin account to turn off the shared login you are using",
            N_("Log in with your own admin account to turn off the shared login you are using."),
        ),
        (
            r"the shared login has no mail or calendar of its own: use your own account",
            N_("The shared login has no mail or calendar of its own: use your own account."),
        ),
        (
            r"this form has expired or was not sent from this node's page; reload the page and try again",
            N_("This form has expired or was not sent from this node's page: reload the page and try again."),
        ),
        (
            r"the form's security token is missing or wrong; reload the page and try again",
            N_("The form's security check failed: reload the page and try again."),
        ),
        (
            r"a form of (?P<n>\d+) bytes is larger than (?P<max>\d+)",
            N_("This form is too big: %(n)s bytes, more than %(max)s."),
        ),
        (r"there is no form for .*", N_("There is no such form.")),
        (r"no event with id .*", N_("There is no event with this id here.")),
        (
            r"no event of this group with that id: a group redacts only its own events",
            N_("Your group has no event with that id: a group can only redact its own events."),
        ),
        (
            r"this node has no data dir to write the new kit to: rotate with `solnet key rotate`",
            N_("This node has nowhere to write the new recovery kit: rotate the key with `solnet key rotate`."),
        ),
        (
            r"this calendar link is not known \(it was revoked, or its member removed\)",
            N_("This calendar link is not known: it was revoked, or its member was removed."),
        ),
        (r"this unsubscribe link is not known", N_("This unsubscribe link is not known.")),
        (
            r"an unsubscribe request has at most (?P<max>\d+) bytes",
            Nn_("An unsubscribe request has at most %(max)s byte.", "An unsubscribe request has at most %(max)s bytes.", "max"),
        ),
        (r"this link is not for this page", N_("This link is not for this page.")),
        (
            r"this link is not known here: it may have been replaced by a newer one, or mistyped",
            N_("This link is not known here: it may have been replaced by a newer one, or mistyped."),
        ),
        (
            r"this link has been used already: each link works once\. Log in, or ask an admin for a new link",
            N_("This link has been used already: each link works once. Log in, or ask an admin for a new link."),
        ),
        (r"this link has been used already: each link works once", N_("This link has been used already: each link works once.")),
        (
            r"this link has expired\. Ask an admin of the node for a new one",
            N_("This link has expired. Ask an admin of the node for a new one."),
        ),
        (r"the member this link was for has been removed", N_("The member this link was for has been removed.")),
        (
            r"this is the node's set-up link: open it to set the node up",
            N_("This is the node's set-up link: open it to set the node up."),
        ),
        (r"this is not the node's set-up link", N_("This is not the node's set-up link.")),
        (r"the node has been set up already: log in", N_("The node has been set up already: log in.")),
        (r"The two passwords are not the same\.", N_("The two passwords are not the same.")),
        (r"there is no such member( \(removed already\?\))?", N_("There is no such member: they may have been removed already.")),
        (r"there is already a member called (?P<name>.+)", N_("There is already a member called %(name)s.")),
        (r"there is no member called (?P<name>.+)", N_("There is no member called %(name)s.")),
        (
            r"(?P<name>.+) is the node's only admin: make someone else admin first",
            N_("%(name)s is the node's only admin: make someone else admin first."),
        ),
        (
            r"(?P<name>.+) is \w+: their token cannot have the (?P<scopes>.+) scopes?",
            N_("%(name)s's role does not allow a token with these scopes: %(scopes)s."),
        ),
        (r"role must be one of .*", N_("Choose one of the roles.")),
        (r"scopes must name at least one of .*", N_("Choose at least one scope.")),
        (r"scopes must be among .*", N_("Choose among the scopes.")),
        (
            r"a member's name has 1 to (?P<max>\d+) characters: .*",
            N_("A member's name has 1 to %(max)s characters: letters, digits, spaces and . ' - (a letter or digit first)."),
        ),
        (r"email must be an address like name@example\.org", N_("This must be an email address, like name@example.org.")),
        (
            r"a password has at least (?P<min>\d+) characters",
            Nn_("A password has at least %(min)s character.", "A password has at least %(min)s characters.", "min"),
        ),
        (
            r"a token's label has at most (?P<max>\d+) characters",
            Nn_("A token's label has at most %(max)s character.", "A token's label has at most %(max)s characters.", "max"),
        ),
        (
            r"a member holds at most (?P<max>\d+) tokens: revoke one first",
            Nn_(
                "A member holds at most %(max)s token: revoke one first.",
                "A member holds at most %(max)s tokens: revoke one first.",
                "max",
            ),
        ),
        (r"there is no token .*", N_("There is no such token.")),
        (r"cursor must be the `next` of a previous page", N_("This page link is out of date: start again from the first page.")),
        # -- notification choices (node/notify/prefs.py)
        (
            r"give at most (?P<areas>\d+) areas of at most (?P<max>\d+) characters each",
            N_("Give at most %(areas)s areas, of at most %(max)s characters each."),
        ),
        (r"needs must be among .*", N_("Choose among the needs.")),
    )
)


def pattern_of(text: object) -> re.Pattern[str] | None:
    """Return the pattern that recognises an error message (either case of its first letter), or None."""
    return next((pattern for pattern, _ in _PATTERNS for m in _cases(str(text or "")) if pattern.fullmatch(m)), None)


def _cases(message: str) -> tuple[str, str]:
    return message, message[:1].swapcase() + message[1:]


def error_words(text: object, code: str) -> str:
    """Return a form error (as node/web/forms.field_message worded it) or a refusal in language `code`.

    English is the core's own wording, which names the accepted values exactly ("must be one of low, normal, ...").
    """
    message = str(text or "")
    if language(code).code == "en":
        return message
    tr = translations(code)
    for pattern, words in _PATTERNS:
        found = next((f for m in _cases(message) if (f := pattern.fullmatch(m))), None)
        if found is None:
            continue
        values = found.groupdict()
        if isinstance(words, tuple):
            singular, plural, count = words
            return tr.ngettext(singular, plural, int(values[count])) % values
        return tr.gettext(words) % values
    return message
