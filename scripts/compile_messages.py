#!/usr/bin/env python3
"""Compile every translation catalogue of pmloop (.po → .mo) without GNU gettext.

Catalogues: src/pmloop/locale (the shared one) and src/pmloop/<app>/locale (apps that keep
their own).

    python scripts/compile_messages.py           # compile all, report what is untranslated
    python scripts/compile_messages.py --check   # also fail (exit 1) when a .mo is stale or a
                                                 # message is untranslated or fuzzy
    python scripts/compile_messages.py src/pmloop/locale/zh_Hans/LC_MESSAGES/django.po
                                                 # only the catalogues named

Uses the ``polib`` package only, so it works on a machine without ``msgfmt``. Fuzzy entries
are left out of the .mo (as msgfmt does), so a guessed translation never reaches a user.
See docs/development/i18n.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "pmloop"


def compile_catalogue(po_path: Path, *, check: bool) -> list[str]:
    problems: list[str] = []
    po = polib.pofile(str(po_path), wrapwidth=0)
    untranslated = [e for e in po.untranslated_entries() if not e.obsolete]
    fuzzy = [e for e in po.fuzzy_entries() if not e.obsolete]
    for entry in untranslated:
        problems.append(f"{po_path.relative_to(ROOT)}: untranslated: {entry.msgid!r}")
    for entry in fuzzy:
        problems.append(f"{po_path.relative_to(ROOT)}: fuzzy: {entry.msgid!r}")
    # Placeholders must survive translation, or the page raises on a missing key.
    for entry in po.translated_entries():
        for source, target in _pairs(entry):
            if _placeholders(source) != _placeholders(target):
                problems.append(
                    f"{po_path.relative_to(ROOT)}: placeholders differ in {entry.msgid!r}: "
                    f"{sorted(_placeholders(source))} vs {sorted(_placeholders(target))}"
                )
    mo_path = po_path.with_suffix(".mo")
    new = po.to_binary()  # translated entries only: fuzzy and empty ones are left out
    # Compare what the .mo says, not its bytes: a .mo made by msgfmt is as good as ours.
    if _messages(mo_path) != _messages_of(po):
        if check:
            problems.append(f"{mo_path.relative_to(ROOT)} is out of date: run scripts/compile_messages.py")
        mo_path.write_bytes(new)
        print(f"compiled {mo_path.relative_to(ROOT)} ({len(po.translated_entries())} messages)")
    else:
        print(f"up to date {mo_path.relative_to(ROOT)} ({len(po.translated_entries())} messages)")
    return problems


def _key(entry) -> tuple[str, str]:
    return (entry.msgctxt or "", entry.msgid)


def _messages_of(po: polib.POFile) -> dict:
    return {_key(e): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in po.translated_entries()}


def _messages(mo_path: Path) -> dict | None:
    if not mo_path.exists():
        return None
    try:
        mo = polib.mofile(str(mo_path))
    except (OSError, ValueError):
        return None
    return {
        _key(e): (e.msgstr, tuple(sorted((int(k), v) for k, v in e.msgstr_plural.items())))
        for e in mo
        if e.msgid
    }


def _pairs(entry: polib.POEntry):
    if entry.msgid_plural:
        forms = [entry.msgid, entry.msgid_plural]
        for i, text in sorted(entry.msgstr_plural.items()):
            yield forms[min(int(i), 1)], text
    else:
        yield entry.msgid, entry.msgstr


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\(\w+\)[sdif]|\{\w*\}", text))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail on stale, untranslated or fuzzy messages")
    parser.add_argument("po", nargs="*", type=Path, help=".po files to compile (default: every catalogue)")
    args = parser.parse_args(argv)
    catalogues = [p.resolve() for p in args.po] or (
        sorted(PACKAGE.glob("locale/*/LC_MESSAGES/*.po"))
        + sorted(PACKAGE.glob("*/locale/*/LC_MESSAGES/*.po"))
    )
    if not catalogues:
        print(f"no .po files under {PACKAGE}", file=sys.stderr)
        return 1
    problems: list[str] = []
    for po_path in catalogues:
        problems += compile_catalogue(po_path, check=args.check)
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
