"""Render each addon's app page, ``static/description/index.html``, and its ``README.md`` from
its manifest and its ``readme/*.md`` fragments.

Odoo's Apps page shows the HTML page (``ir.module.module.description_html``); the README is
what GitHub shows.  The fragments are CommonMark, rendered to HTML by ``markdown-it-py``
(tables on); both files by the Jinja2 templates ``setup/addon_page.html.j2`` and
``setup/addon_readme.md.j2``.

``--check`` writes nothing and exits 1 when a file is missing or stale; otherwise stale files
are rewritten (and ``--exit-non-zero-on-write``, as pre-commit runs it, then exits 1).
"""

import argparse
import ast
import hashlib
import os
import re
import sys

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup

GENERATOR = "setup/gen_addon_readme.py"
# (fragment, section title); DESCRIPTION goes above the table of contents.
FRAGMENTS = (
    ("DESCRIPTION", None),
    ("CONTEXT", "Use Cases / Context"),
    ("INSTALL", "Installation"),
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("DEVELOP", "Development"),
    ("HISTORY", "Changelog"),
    ("CONTRIBUTORS", None),
    ("CREDITS", None),
)
STATUS_NOTES = {
    "Alpha": "This is an alpha version, the data model and design can change at any time "
    "without warning. Only for development or testing purpose, do not use in production.",
    "Beta": "This is a beta version: the data model can still change before it is stable.",
}
# The manifest keys the page is made of (a change to "data" or "depends" leaves it alone).
PAGE_KEYS = ("name", "summary", "author", "website", "license", "development_status")
HERE = os.path.dirname(os.path.abspath(__file__))
# (path in the addon, Jinja2 template in setup/, fragments rendered to HTML)
OUTPUTS = (
    (os.path.join("static", "description", "index.html"), "addon_page.html.j2", True),
    ("README.md", "addon_readme.md.j2", False),
)


def read_fragments(addon_dir):
    """{name: text} of the Markdown fragments present in readme/."""
    found = {}
    for name, _title in FRAGMENTS:
        path = os.path.join(addon_dir, "readme", name + ".md")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as fh:
                found[name] = fh.read().strip()
    return {name: text for name, text in found.items() if text}


def _compact(html):
    """Rendered HTML with each table row on one line (a table is not one tag a line)."""
    return re.sub(r">\n(?=</?(?:table|thead|tbody|tr|th|td)\b)", ">", html).strip()


def render(addon_dir, branch, addons_subdir):
    """{path in the addon: text} of the app page and the README."""
    addon = os.path.basename(os.path.abspath(addon_dir))
    with open(os.path.join(addon_dir, "__manifest__.py"), encoding="utf-8") as fh:
        manifest = ast.literal_eval(fh.read())
    fragments = read_fragments(addon_dir)
    digest = hashlib.sha256(repr(sorted((k, manifest.get(k)) for k in PAGE_KEYS)).encode())
    for key in sorted(fragments):
        digest.update(key.encode() + b"\0" + fragments[key].encode() + b"\0")
    github = re.match(r"https?://github\.com/([^/]+)/([^/#?]+)", manifest.get("website") or "")
    repo_name = github and f"{github.group(1)}/{github.group(2).removesuffix('.git')}"
    repo_root = github and f"https://github.com/{repo_name}"
    status = manifest.get("development_status", "Beta")
    context = {
        "generator": GENERATOR,
        "digest": digest.hexdigest(),
        "name": manifest.get("name", addon),
        "summary": manifest.get("summary") or "",
        "status": status,
        "license": manifest.get("license", "LGPL-3"),
        "repo": repo_root and f"{repo_root}/tree/{branch}/{addons_subdir}/{addon}",
        "repo_name": repo_name,
        "repo_root": repo_root,
        "note": STATUS_NOTES.get(status),
        "authors": [a.strip() for a in manifest.get("author", "").split(",") if a.strip()],
    }
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    out = {}
    for path, template_name, html in OUTPUTS:
        text = {k: _compact(md.render(v)) if html else v for k, v in fragments.items()}
        sections = [
            (key.lower(), title, Markup(text[key]))
            for key, title in FRAGMENTS
            if title and key in text
        ]
        with open(os.path.join(HERE, template_name), encoding="utf-8") as fh:
            template = jinja2.Environment(autoescape=html, keep_trailing_newline=True)
            out[path] = template.from_string(fh.read()).render(
                **context, fragments={k: Markup(v) for k, v in text.items()}, sections=sections
            )
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addons-dir", default="addons", help="folder holding the addons")
    parser.add_argument("--branch", default="main", help="git branch named in the links")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if stale")
    parser.add_argument("--exit-non-zero-on-write", action="store_true", help="exit 1 on write")
    parser.add_argument("addon", nargs="*", help="addon folders (default: all in --addons-dir)")
    args = parser.parse_args(argv)
    addon_dirs = args.addon or [
        os.path.join(args.addons_dir, entry)
        for entry in sorted(os.listdir(args.addons_dir))
        if os.path.isfile(os.path.join(args.addons_dir, entry, "__manifest__.py"))
    ]
    subdir = os.path.basename(os.path.normpath(args.addons_dir))
    stale = 0
    for addon_dir in addon_dirs:
        for name, text in render(addon_dir, args.branch, subdir).items():
            path = os.path.join(addon_dir, name)
            current = None
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as fh:
                    current = fh.read()
            if current == text:
                continue
            stale += 1
            if args.check:
                print(f"{path} is {'missing' if current is None else 'out of date'}")
                continue
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text)
            print(f"wrote {path}")
    return 1 if stale and (args.check or args.exit_non_zero_on_write) else 0


if __name__ == "__main__":
    sys.exit(main())
