"""Render each addon's README.rst from its manifest and its readme/*.md fragments.

A small stand-in for OCA's ``oca-gen-addon-readme`` (maintainer-tools is not published on PyPI),
producing the same layout: title, badges, DESCRIPTION, development-status note, table of
contents, Installation / Configuration / Usage / Known issues / Changelog sections, Bug Tracker
and Credits (Authors, Contributors, Other credits, Maintainers).  Only the standard library is
needed; when docutils is importable (it is in Odoo's requirements) the result is also checked to
be valid reStructuredText.

Fragments are Markdown (``readme/DESCRIPTION.md`` ...); the subset converted is the one our
fragments use: ``#`` headings, paragraphs, ``-``/``*``/``1.`` lists (nested by indentation),
fenced code blocks, block quotes, pipe tables, images alone on a line, and inline ``code``,
``[links](url)``, ``**strong**`` and ``*emphasis*``/``_emphasis_``.  A ``.rst`` fragment is
taken as it is.

    python setup/gen_addon_readme.py [--addons-dir addons] [--branch main] [--check]
                                     [--exit-non-zero-on-write] [ADDON_DIR ...]

Without ``--check`` README.rst files that differ are rewritten (and with
``--exit-non-zero-on-write``, as pre-commit runs it, the exit status is then 1).  With
``--check`` nothing is written and the exit status is 1 when a README.rst is missing or stale.
"""

import argparse
import ast
import hashlib
import os
import re
import sys

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

STATUS_BADGES = {
    "Alpha": "red",
    "Beta": "yellow",
    "Production/Stable": "green",
    "Mature": "brightgreen",
}
STATUS_URL = "https://odoo-community.org/page/development-status"
STATUS_NOTES = {
    "Alpha": (
        "This is an alpha version, the data model and design can change at any time without "
        "warning. Only for development or testing purpose, do not use in production."
    ),
    "Beta": "This is a beta version: the data model can still change before it is stable.",
}
LICENSE_URLS = {
    "LGPL-3": "https://www.gnu.org/licenses/lgpl-3.0-standalone.html",
    "AGPL-3": "https://www.gnu.org/licenses/agpl-3.0-standalone.html",
    "GPL-3": "https://www.gnu.org/licenses/gpl-3.0-standalone.html",
    "OPL-1": "https://www.odoo.com/documentation/master/legal/licenses.html",
}

# The manifest keys the README is made of.
README_KEYS = (
    "name",
    "summary",
    "author",
    "website",
    "license",
    "development_status",
    "maintainers",
)

# reStructuredText section adornments, outermost first (the title has its own overline).
ADORNMENTS = "=-~^\"'"

# --------------------------------------------------------------------------------------------
# Markdown -> reStructuredText
# --------------------------------------------------------------------------------------------

_PLACEHOLDER = "\x00{}\x00"
_CODE_RE = re.compile(r"(`+)(.+?)\1")
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_LINK_RE = re.compile(r"\[([^\]]+)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_AUTOLINK_RE = re.compile(r"<(https?://[^>\s]+)>")
_STRONG_RE = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EM_STAR_RE = re.compile(r"(?<![\w*])\*(?=[^\s*])(.+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDERSCORE_RE = re.compile(r"(?<![\w_])_(?=[^\s_])(.+?)(?<=[^\s_])_(?![\w_])")
_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET_RE = re.compile(r"^(\s*)([-*+])\s+(.*)$")
_ORDERED_RE = re.compile(r"^(\s*)(\d+)[.)]\s+(.*)$")
_FENCE_RE = re.compile(r"^(\s*)(```+|~~~+)\s*([\w+-]*)")
_TABLE_SEP_RE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*$")
_HTML_COMMENT_RE = re.compile(r"<!--.*?-->", re.DOTALL)


def _guard(text, start, end):
    """Escape-space an inline markup span glued to a word character (rst needs a boundary)."""

    def fix(match):
        before = match.string[match.start() - 1] if match.start() else ""
        after = match.string[match.end()] if match.end() < len(match.string) else ""
        out = match.group(0)
        if before and (before.isalnum() or before in "_)]"):
            out = "\\ " + out
        if after and (after.isalnum() or after in "_([`"):
            out = out + "\\ "
        return out

    pattern = re.compile(re.escape(start) + r".+?" + re.escape(end))
    return pattern.sub(fix, text)


def inline(text):
    """Convert the inline Markdown of one line (or joined lines) to reStructuredText."""
    kept = []

    def keep(rst):
        kept.append(rst)
        return _PLACEHOLDER.format(len(kept) - 1)

    text = _CODE_RE.sub(lambda m: keep("``%s``" % m.group(2).strip()), text)
    text = _IMAGE_RE.sub(lambda m: keep(m.group(1) or m.group(2)), text)
    text = _LINK_RE.sub(lambda m: keep("`%s <%s>`__" % (inline(m.group(1)), m.group(2))), text)
    text = _AUTOLINK_RE.sub(lambda m: keep(m.group(1)), text)
    text = _STRONG_RE.sub(lambda m: keep("**%s**" % m.group(2)), text)
    text = _EM_STAR_RE.sub(lambda m: keep("*%s*" % m.group(1)), text)
    text = _EM_UNDERSCORE_RE.sub(lambda m: keep("*%s*" % m.group(1)), text)
    # A bare trailing underscore would start an rst reference (``word_``): escape it.
    text = re.sub(r"(?<=\w)_(?=\s|$|[.,;:!?)])", r"\\_", text)
    text = re.sub(r"\|(?=\S)", r"\\|", text)

    def restore(match):
        return kept[int(match.group(1))]

    while "\x00" in text:
        text = re.sub(r"\x00(\d+)\x00", restore, text)
    for start, end in (("``", "``"), ("`", ">`__"), ("**", "**")):
        text = _guard(text, start, end)
    return text


def _heading(title, level):
    char = ADORNMENTS[min(level, len(ADORNMENTS) - 1)]
    return [title, char * len(title), ""]


def _split_row(line):
    line = line.strip()
    if line.startswith("|"):
        line = line[1:]
    if line.endswith("|"):
        line = line[:-1]
    return [cell.strip() for cell in line.split("|")]


def _indent_of(line):
    return len(line) - len(line.lstrip())


def _item(line):
    return _BULLET_RE.match(line) or _ORDERED_RE.match(line)


def md_to_rst(markdown, base_level):
    """Convert a Markdown fragment; its ``#`` headings start at section level ``base_level``."""
    lines = _HTML_COMMENT_RE.sub("", markdown).expandtabs(4).splitlines()
    out = []
    para = []
    # Open lists, innermost last: (markdown indent of the marker, rst indent of the item text,
    # bullet list or not).
    stack = []

    def blank():
        if out and out[-1] != "":
            out.append("")

    def indent():
        return stack[-1][1] if stack else 0

    def flush():
        if para:
            out.append(" " * indent() + inline(" ".join(p.strip() for p in para)))
            para.clear()

    def close_lists(md_indent=-1):
        """Close the lists whose markers sit deeper than ``md_indent`` (all by default)."""
        while stack and stack[-1][0] > md_indent:
            stack.pop()
            blank()

    def leave_lists_unless_indented(line):
        # A block that is not indented under the current item ends the open lists.
        if stack and _indent_of(line) <= stack[-1][0]:
            close_lists()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()

        if not stripped:
            flush()
            nxt = next((x for x in lines[i + 1 :] if x.strip()), None)
            if stack and (nxt is None or (not _item(nxt) and _indent_of(nxt) <= stack[-1][0])):
                close_lists()
            elif not stack or not (nxt and _item(nxt)):
                blank()
            i += 1
            continue

        fence = _FENCE_RE.match(line)
        if fence:
            flush()
            leave_lists_unless_indented(line)
            marker = fence.group(2)
            blank()
            out.extend([" " * indent() + "::", ""])
            strip = _indent_of(line)
            i += 1
            while i < len(lines) and not lines[i].strip().startswith(marker):
                code = lines[i][strip:] if _indent_of(lines[i]) >= strip else lines[i].lstrip()
                out.append((" " * (indent() + 4) + code).rstrip() if code.strip() else "")
                i += 1
            i += 1
            out.append("")
            continue

        heading = _HEADING_RE.match(stripped)
        if heading and _indent_of(line) < 4:
            flush()
            close_lists()
            blank()
            out.extend(_heading(inline(heading.group(2)), base_level + len(heading.group(1)) - 1))
            i += 1
            continue

        if "|" in stripped and i + 1 < len(lines) and _TABLE_SEP_RE.match(lines[i + 1]):
            flush()
            close_lists()
            rows = [_split_row(line)]
            i += 2
            while i < len(lines) and "|" in lines[i] and lines[i].strip():
                rows.append(_split_row(lines[i]))
                i += 1
            width = len(rows[0])
            blank()
            out.extend([".. list-table::", "   :header-rows: 1", ""])
            for row in rows:
                row = (row + [""] * width)[:width]
                for col, cell in enumerate(row):
                    prefix = "   * - " if col == 0 else "     - "
                    out.append((prefix + inline(cell)).rstrip())
            out.append("")
            continue

        image = _IMAGE_RE.fullmatch(stripped)
        if image and not para:
            leave_lists_unless_indented(line)
            blank()
            out.append(" " * indent() + ".. image:: %s" % image.group(2))
            if image.group(1):
                out.append(" " * indent() + "   :alt: %s" % image.group(1))
            out.append("")
            i += 1
            continue

        if stripped.startswith(">"):
            flush()
            close_lists()
            blank()
            previous = next((x for x in reversed(out) if x), "")
            if previous.startswith(" "):
                # Keep the quote from being read as the body of the indented block above.
                out.extend(["..", ""])
            while i < len(lines) and lines[i].strip().startswith(">"):
                quoted = lines[i].strip()[1:].strip()
                out.append(("    " + inline(quoted)) if quoted else "")
                i += 1
            out.append("")
            continue

        if re.fullmatch(r"(-{3,}|\*{3,}|_{3,})", stripped) and not para:
            i += 1
            continue

        item = _item(line)
        if item:
            flush()
            md_indent = _indent_of(line)
            depth = len(stack)
            close_lists(md_indent)
            kind = item.re is _BULLET_RE
            if stack and stack[-1][0] == md_indent and stack[-1][2] == kind:
                stack.pop()  # a sibling in the same list: no blank line (a tight list)
                if len(stack) + 1 < depth:
                    blank()  # back from a nested list
            else:
                if stack and stack[-1][0] == md_indent:
                    stack.pop()  # another kind of list at the same level
                blank()  # a new list, nested or not, needs a blank line before it
            bullet = "- " if kind else "%s. " % item.group(2)
            out.append(" " * indent() + bullet + inline(item.group(3).strip()))
            stack.append((md_indent, indent() + len(bullet), kind))
            i += 1
            # Continuation lines of the item's first paragraph.
            text = []
            while (
                i < len(lines)
                and lines[i].strip()
                and not _item(lines[i])
                and not _FENCE_RE.match(lines[i])
                and not _HEADING_RE.match(lines[i].strip())
                and not lines[i].strip().startswith(">")
            ):
                text.append(lines[i].strip())
                i += 1
            if text:
                out[-1] += " " + inline(" ".join(text))
            continue

        if not para:
            leave_lists_unless_indented(line)
            blank()
        para.append(line)
        i += 1
    flush()
    while out and out[-1] == "":
        out.pop()
    return "\n".join(out)


# --------------------------------------------------------------------------------------------
# README.rst
# --------------------------------------------------------------------------------------------


def read_manifest(addon_dir):
    with open(os.path.join(addon_dir, "__manifest__.py"), encoding="utf-8") as fh:
        return ast.literal_eval(fh.read())


def read_fragments(addon_dir):
    """{name: (text, is_markdown)} of the fragments present in readme/."""
    found = {}
    folder = os.path.join(addon_dir, "readme")
    for name, _title in FRAGMENTS:
        for ext, is_md in ((".md", True), (".rst", False)):
            path = os.path.join(folder, name + ext)
            if os.path.isfile(path):
                with open(path, encoding="utf-8") as fh:
                    text = fh.read().strip()
                if text:
                    found[name] = (text, is_md)
                break
    return found


def _fragment(fragments, name, level):
    text, is_md = fragments[name]
    return md_to_rst(text, level) if is_md else text


def _github(website):
    match = re.match(r"https?://github\.com/([^/]+)/([^/#?]+)", website or "")
    return (match.group(1), match.group(2).removesuffix(".git")) if match else None


def render(addon_dir, branch, addons_subdir):
    addon = os.path.basename(os.path.abspath(addon_dir))
    manifest = read_manifest(addon_dir)
    fragments = read_fragments(addon_dir)
    name = manifest.get("name", addon)
    status = manifest.get("development_status", "Beta")
    license_ = manifest.get("license", "LGPL-3")
    website = manifest.get("website", "")
    github = _github(website)

    # Only what the README shows: a change to "data" or "depends" leaves it as it is.
    shown = {key: manifest.get(key) for key in README_KEYS}
    digest = hashlib.sha256()
    digest.update(repr(sorted(shown.items())).encode())
    for key in sorted(fragments):
        digest.update(key.encode() + b"\0" + fragments[key][0].encode() + b"\0")

    bar = "!" * 72
    out = [
        "=" * len(name),
        name,
        "=" * len(name),
        "",
        "..",
        "   " + bar,
        "   !! This file is generated by %s" % GENERATOR,
        "   !! from __manifest__.py and readme/*: edit those, not this file.",
        "   " + bar,
        "   !! source digest: sha256:%s" % digest.hexdigest(),
        "   " + bar,
        "",
    ]
    badges = []
    colour = STATUS_BADGES.get(status, "lightgrey")
    badges.append(
        (
            "https://img.shields.io/badge/maturity-%s-%s.png"
            % (status.replace("/", "%2F").replace("-", "--").replace(" ", "%20"), colour),
            STATUS_URL,
            status,
        )
    )
    badges.append(
        (
            "https://img.shields.io/badge/license-%s-blue.png" % license_.replace("-", "--"),
            LICENSE_URLS.get(license_, website),
            "License: %s" % license_,
        )
    )
    if github:
        org, repo = github
        badges.append(
            (
                "https://img.shields.io/badge/github-%s%%2F%s-lightgray.png?logo=github"
                % (org.replace("-", "--"), repo.replace("-", "--")),
                "https://github.com/%s/%s/tree/%s/%s/%s"
                % (org, repo, branch, addons_subdir, addon),
                "%s/%s" % (org, repo),
            )
        )
    for num, (image, target, alt) in enumerate(badges, 1):
        out += [
            ".. |badge%d| image:: %s" % (num, image),
            "    :target: %s" % target,
            "    :alt: %s" % alt,
        ]
    out += ["", " ".join("|badge%d|" % n for n in range(1, len(badges) + 1)), ""]

    if "DESCRIPTION" in fragments:
        out += [_fragment(fragments, "DESCRIPTION", 1), ""]
    elif manifest.get("summary"):
        out += [inline(manifest["summary"]), ""]
    if status in STATUS_NOTES:
        out += [".. IMPORTANT::"]
        out += ["   " + STATUS_NOTES[status]]
        out += ["   `More details on development status <%s>`_" % STATUS_URL, ""]
    out += ["**Table of contents**", "", ".. contents::", "   :local:", ""]

    for key, title in FRAGMENTS:
        if title and key in fragments:
            out += _heading(title, 0)
            out += [_fragment(fragments, key, 1), ""]

    if github:
        org, repo = github
        out += _heading("Bug Tracker", 0)
        out += [
            "Bugs are tracked on `GitHub Issues <https://github.com/%s/%s/issues>`_." % (org, repo),
            "In case of trouble, please check there if your issue has already been reported.",
            "",
        ]

    out += _heading("Credits", 0)
    authors = [a.strip() for a in manifest.get("author", "").split(",") if a.strip()]
    if authors:
        out += _heading("Authors", 1)
        out += ["- %s" % a for a in authors] + [""]
    if "CONTRIBUTORS" in fragments:
        out += _heading("Contributors", 1)
        out += [_fragment(fragments, "CONTRIBUTORS", 2), ""]
    if "CREDITS" in fragments:
        out += _heading("Other credits", 1)
        out += [_fragment(fragments, "CREDITS", 2), ""]
    maintainers = manifest.get("maintainers") or []
    out += _heading("Maintainers", 1)
    if maintainers:
        links = ", ".join("`%s <https://github.com/%s>`__" % (m, m) for m in maintainers)
        out += ["Current maintainers: %s." % links, ""]
    if github:
        org, repo = github
        out += [
            "This module is part of the `%s/%s <https://github.com/%s/%s/tree/%s/%s/%s>`_ "
            "project on GitHub." % (org, repo, org, repo, branch, addons_subdir, addon),
            "",
        ]
    while out and out[-1] == "":
        out.pop()
    return "\n".join(line.rstrip() for line in "\n".join(out).splitlines()) + "\n"


def rst_errors(text, source):
    """Problems docutils finds in ``text`` (empty when docutils is not installed)."""
    try:
        import docutils.core
        import docutils.utils
    except ImportError:
        return []
    import io

    stream = io.StringIO()
    try:
        docutils.core.publish_doctree(
            text,
            source_path=source,
            settings_overrides={
                "report_level": 2,
                "halt_level": 5,
                "warning_stream": stream,
                "file_insertion_enabled": False,
                "raw_enabled": False,
            },
        )
    except docutils.utils.SystemMessage as exc:
        return [str(exc)]
    return [line for line in stream.getvalue().splitlines() if line.strip()]


def find_addons(addons_dir):
    for entry in sorted(os.listdir(addons_dir)):
        path = os.path.join(addons_dir, entry)
        if os.path.isfile(os.path.join(path, "__manifest__.py")):
            yield path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--addons-dir", default="addons", help="folder holding the addons")
    parser.add_argument("--branch", default="main", help="git branch named in the links")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if stale")
    parser.add_argument(
        "--exit-non-zero-on-write",
        action="store_true",
        help="exit 1 when a README.rst was written (pre-commit does not see new files change)",
    )
    parser.add_argument("addon", nargs="*", help="addon folders (default: all in --addons-dir)")
    args = parser.parse_args(argv)

    addon_dirs = args.addon or list(find_addons(args.addons_dir))
    subdir = os.path.basename(os.path.normpath(args.addons_dir))
    stale = 0
    invalid = 0
    for addon_dir in addon_dirs:
        readme = os.path.join(addon_dir, "README.rst")
        text = render(addon_dir, args.branch, subdir)
        errors = rst_errors(text, readme)
        if errors:
            invalid += 1
            print("%s: generated text is not valid reStructuredText:" % readme, file=sys.stderr)
            for line in errors:
                print("    " + line, file=sys.stderr)
            continue
        current = None
        if os.path.isfile(readme):
            with open(readme, encoding="utf-8") as fh:
                current = fh.read()
        if current == text:
            continue
        stale += 1
        if args.check:
            print("%s is %s" % (readme, "missing" if current is None else "out of date"))
        else:
            with open(readme, "w", encoding="utf-8") as fh:
                fh.write(text)
            print("wrote %s" % readme)
    if invalid or (stale and (args.check or args.exit_non_zero_on_write)):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
