"""Writing the mails: an urgent callout, a daily digest, and the MIME message (plain text and HTML, RFC 8058 headers)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.utils import formatdate
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from babel.support import NullTranslations

from ..i18n import translations
from .outbox import Item, Mail
from .rules import render_line

ENGLISH = translations("en")

TEXT_MAX = 2000


def unsubscribe_url(base_url: str, token: str) -> str:
    """Return the one-click unsubscribe link of a member's mail."""
    return f"{base_url}/unsubscribe/{token}"


def _footer(base_url: str, token: str, node_name: str, tr: NullTranslations) -> tuple[str, str]:
    url = unsubscribe_url(base_url, token)
    why = tr.gettext("You get this from %(node)s because you asked for it.")
    change, stop = tr.gettext("Change what you get"), tr.gettext("Stop all mail")
    text = f"\n-- \n{why % {'node': node_name}}\n{change}: {base_url}/account/notifications\n{stop}: {url}\n"
    html = (
        f'<hr><p style="font-size:small">{why % {"node": escape(node_name)}} '
        f'<a href="{escape(base_url)}/account/notifications">{escape(change)}</a> · '
        f'<a href="{escape(url)}">{escape(stop)}</a></p>'
    )
    return text, html


def urgent_mail(
    mail_id: str,
    member_id: str,
    to: str,
    token: str,
    callout: dict[str, Any],
    *,
    author: str,
    when: str,
    base_url: str,
    node_name: str,
    tr: NullTranslations = ENGLISH,
) -> Mail:
    """Return the mail telling a member at once about an urgent callout, in the language of `tr`."""
    link = f"{base_url}/callouts/{callout['id']}"
    urgency = tr.gettext(str(callout.get("urgency", "")).capitalize())
    title = str(callout.get("title", ""))
    subject = tr.gettext("[%(urgency)s] %(title)s (%(group)s)") % {"urgency": urgency, "title": title, "group": author}
    needs = ", ".join(tr.gettext(str(n).replace("_", " ").capitalize()) for n in callout.get("needs") or ())
    facts = [(tr.gettext("Where"), callout.get("where") or ""), (tr.gettext("When"), when), (tr.gettext("Needed"), needs)]
    body = str(callout.get("text", ""))[:TEXT_MAX]
    needs_help = tr.gettext("%(group)s needs help: %(title)s")
    see = tr.gettext("See it and pledge")
    text = needs_help % {"group": author, "title": title} + "\n\n"
    text += "".join(f"{name}: {value}\n" for name, value in facts if value)
    text += f"\n{body}\n\n{see}: {link}\n"
    strong = {"group": f"<strong>{escape(author)}</strong>", "title": f"<strong>{escape(title)}</strong>"}
    html = f"<p>{escape(needs_help) % strong}</p><ul>"
    html += "".join(f"<li>{escape(name)}: {escape(str(value))}</li>" for name, value in facts if value)
    html += f'</ul><p style="white-space:pre-wrap">{escape(body)}</p><p><a href="{escape(link)}">{escape(see)}</a></p>'
    foot_text, foot_html = _footer(base_url, token, node_name, tr)
    return Mail(mail_id, member_id, to, subject, text + foot_text, _html(subject, html + foot_html), token)


def digest_mail(
    mail_id: str,
    member_id: str,
    to: str,
    token: str,
    sections: Sequence[tuple[str, list[Item], int]],
    *,
    day: str,
    base_url: str,
    node_name: str,
    tr: NullTranslations = ENGLISH,
    title_values: dict[str, Any] | None = None,
    line: Callable[[Item], str] = lambda item: item.line,
) -> Mail:
    """Return a member's daily digest in the language of `tr`: each section's title (a message id, filled in from
    `title_values`), its lines (with links; `line` words an item, in the same language: `item_line`) and how many more
    there were."""
    values = {"day": day, "node": node_name}
    subject = tr.gettext("What happened on %(day)s (%(node)s)") % values
    intro = tr.gettext("What happened on %(day)s, as %(node)s saw it.")
    text = intro % values + "\n"
    html = f"<p>{escape(intro % values)}</p>"
    for title_id, items, total in sections:
        title = tr.gettext(title_id) % (title_values or {})
        text += f"\n{title} ({total})\n"
        html += f"<h2>{escape(title)} ({total})</h2><ul>"
        for item in items:
            words = line(item)
            text += f"- {words}\n  {base_url}{item.link}\n"
            html += f'<li><a href="{escape(base_url + item.link)}">{escape(words)}</a></li>'
        if total > len(items):
            more = tr.ngettext("and %(n)s more", "and %(n)s more", total - len(items)) % {"n": total - len(items)}
            text += f"- {more}\n"
            html += f"<li>{escape(more)}</li>"
        html += "</ul>"
    foot_text, foot_html = _footer(base_url, token, node_name, tr)
    return Mail(mail_id, member_id, to, subject, text + foot_text, _html(subject, html + foot_html), token)


def item_line(item: Item, code: str, zone: ZoneInfo) -> str:
    """Return a digest item's line in language `code` (times in `zone`); an item queued before lines were kept to be
    worded later shows the English line it was stored with."""
    return item.line if item.data is None else render_line(item.data, code, zone)


def _html(title: str, body: str) -> str:
    return f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head><body>{body}</body></html>'


def message_of(mail: Mail, *, sender: str, base_url: str) -> EmailMessage:
    """Return the MIME message of a queued mail: text and HTML alternatives, a Message-ID that is the same on every
    try (so a server that took it twice can tell), and one-click unsubscribe headers (RFC 8058)."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = mail.to
    msg["Subject"] = mail.subject
    msg["Date"] = formatdate(localtime=False)
    domain = sender.rpartition("@")[2].strip(">") or "solnet.invalid"
    msg["Message-ID"] = f"<{hashlib.sha256(mail.id.encode()).hexdigest()[:32]}@{domain}>"
    msg["List-Unsubscribe"] = f"<{unsubscribe_url(base_url, mail.unsubscribe)}>"
    msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text)
    msg.add_alternative(mail.html, subtype="html")
    return msg
