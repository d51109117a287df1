"""Writing the mails: an urgent callout, a daily digest, and the MIME message (plain text and HTML, RFC 8058 headers)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate
from html import escape
from typing import Any

from .outbox import Item, Mail

TEXT_MAX = 2000


def unsubscribe_url(base_url: str, token: str) -> str:
    """Return the one-click unsubscribe link of a member's mail."""
    return f"{base_url}/unsubscribe/{token}"


def _footer(base_url: str, token: str, node_name: str) -> tuple[str, str]:
    url = unsubscribe_url(base_url, token)
    text = (
        f"\n-- \nYou get this from {node_name} because you asked for it.\n"
        f"Change what you get: {base_url}/account/notifications\nStop all mail: {url}\n"
    )
    html = (
        f'<hr><p style="font-size:small">You get this from {escape(node_name)} because you asked for it. '
        f'<a href="{escape(base_url)}/account/notifications">Change what you get</a> · '
        f'<a href="{escape(url)}">Stop all mail</a></p>'
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
) -> Mail:
    """Return the mail telling a member at once about an urgent callout."""
    link = f"{base_url}/callouts/{callout['id']}"
    urgency = str(callout.get("urgency", "")).capitalize()
    subject = f"[{urgency}] {callout.get('title', '')} ({author})"
    needs = ", ".join(callout.get("needs") or ())
    facts = [("Where", callout.get("where") or ""), ("When", when), ("Needed", needs)]
    body = str(callout.get("text", ""))[:TEXT_MAX]
    text = f"{author} needs help: {callout.get('title', '')}\n\n"
    text += "".join(f"{name}: {value}\n" for name, value in facts if value)
    text += f"\n{body}\n\nSee it and pledge: {link}\n"
    html = f"<p><strong>{escape(author)}</strong> needs help: <strong>{escape(str(callout.get('title', '')))}</strong></p><ul>"
    html += "".join(f"<li>{name}: {escape(str(value))}</li>" for name, value in facts if value)
    html += f'</ul><p style="white-space:pre-wrap">{escape(body)}</p><p><a href="{escape(link)}">See it and pledge</a></p>'
    foot_text, foot_html = _footer(base_url, token, node_name)
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
) -> Mail:
    """Return a member's daily digest: each section's title, its lines (with links) and how many more there were."""
    subject = f"What happened on {day} ({node_name})"
    text = f"What happened on {day}, as {node_name} saw it.\n"
    html = f"<p>What happened on {escape(day)}, as {escape(node_name)} saw it.</p>"
    for title, items, total in sections:
        text += f"\n{title} ({total})\n"
        html += f"<h2>{escape(title)} ({total})</h2><ul>"
        for item in items:
            text += f"- {item.line}\n  {base_url}{item.link}\n"
            html += f'<li><a href="{escape(base_url + item.link)}">{escape(item.line)}</a></li>'
        if total > len(items):
            text += f"- and {total - len(items)} more\n"
            html += f"<li>and {total - len(items)} more</li>"
        html += "</ul>"
    foot_text, foot_html = _footer(base_url, token, node_name)
    return Mail(mail_id, member_id, to, subject, text + foot_text, _html(subject, html + foot_html), token)


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
