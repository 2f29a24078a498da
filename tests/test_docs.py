"""The repository stands alone: a fresh clone's README and docs resolve inside it.

No database: these read files only.
"""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([ROOT / "README.md", ROOT / "bench" / "README.md", *(ROOT / "docs").rglob("*.md")])

# Places outside the repository that it used to lean on, spelled in pieces so that this file
# does not name them itself (and needs no exemption from its own check).
_PARENT, _SHARED, _DESIGN = rb"\.\./", b"shared", b"DESIGN"
OUTSIDE = re.compile(_PARENT + _SHARED + rb"|" + _SHARED + rb"/seeds|" + _DESIGN + rb"\.md")
OUTSIDE_EXEMPT = ("tests/fixtures/",)
ISSUE_NUMBER = re.compile(rb"\bissues? ?#?[0-9]+\b", re.I)

_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.M | re.S)
_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)
_INLINE_LINK = re.compile(
    r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]"  # [text] or ![alt], one level of brackets inside
    r"\(\s*<?([^)\s>]+)>?(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"  # (target "title")
)
_REFERENCE_LINK = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$", re.M)
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.+?)\s*#*\s*$", re.M)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)
# A repository path in a code span: a folder, a name and an extension (`deliveries/status.py`,
# `tests/faults/test_poison_event.py::test_…`), not a URL, a glob or a placeholder.
_CODE_PATH = re.compile(r"^([A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)+\.(?:py|md|json|lua|toml|txt|raw))")


def _prose(text: str) -> str:
    """The text without fenced blocks and code spans: links inside them are examples."""
    return _CODE_SPAN.sub("", _FENCE.sub("", text))


def _links(text: str) -> list[str]:
    prose = _prose(text)
    return _INLINE_LINK.findall(prose) + _REFERENCE_LINK.findall(prose)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    plain = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    return re.sub(r"[^\w\- ]", "", plain.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors: set[str] = set()
    for heading in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        slug, n = _slug(heading), 1
        candidate = slug
        while candidate in anchors:  # repeated headings get -1, -2, …
            candidate, n = f"{slug}-{n}", n + 1
        anchors.add(candidate)
    return anchors


def _problem(doc: Path, target: str) -> str | None:
    """Why `target`, linked from `doc`, does not resolve inside the repository (or None)."""
    if _SCHEME.match(target) or target.startswith("//"):
        return None  # an external URL: not ours to check offline
    path_part, _, anchor = target.partition("#")
    resolved = (doc.parent / path_part).resolve() if path_part else doc
    if not resolved.is_relative_to(ROOT):
        return "points outside the repository"
    if not resolved.exists():
        return "no such file"
    if anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
        return f"no heading #{anchor}"
    return None


def _repository_files() -> list[Path]:
    """What a fresh clone holds: tracked files, plus new ones not ignored (not yet added)."""
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout: cannot tell the repository's files from local ones")
    paths = (ROOT / name for name in listed.decode().split("\0") if name)
    return [path for path in paths if path.is_file()]


def test_the_docs_exist_where_the_link_check_looks() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in DOCS}
    assert {"README.md", "bench/README.md", "docs/architecture.md"} <= names


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_link_in_the_docs_resolves_inside_the_repository(doc: Path) -> None:
    broken = {
        target: problem
        for target in _links(doc.read_text(encoding="utf-8"))
        if (problem := _problem(doc, target))
    }
    assert broken == {}


@pytest.mark.parametrize("doc", DOCS, ids=lambda path: path.relative_to(ROOT).as_posix())
def test_every_repository_path_the_docs_name_exists(doc: Path) -> None:
    text = _FENCE.sub("", doc.read_text(encoding="utf-8"))
    named = {
        match.group(1)
        for span in _CODE_SPAN.findall(text)
        if (match := _CODE_PATH.match(span[1].strip())) and "://" not in span[1]
    }
    missing = sorted(
        path for path in named if not (ROOT / path).exists() and not (doc.parent / path).exists()
    )
    assert missing == []


def test_the_readme_links_the_architecture() -> None:
    assert "docs/architecture.md" in _links((ROOT / "README.md").read_text(encoding="utf-8"))


def test_no_file_leans_on_anything_outside_the_repository() -> None:
    leaning = [
        path.relative_to(ROOT).as_posix()
        for path in _repository_files()
        if not path.relative_to(ROOT).as_posix().startswith(OUTSIDE_EXEMPT)
        and OUTSIDE.search(path.read_bytes())
    ]
    assert leaning == []


def test_no_python_file_cites_an_issue_number() -> None:
    """Code says why in its own words; an issue number means nothing in a fresh clone."""
    citing = [
        path.relative_to(ROOT).as_posix()
        for path in _repository_files()
        if path.suffix == ".py" and ISSUE_NUMBER.search(path.read_bytes())
    ]
    assert citing == []


def test_the_link_parser_finds_links_and_images_but_not_code_examples() -> None:
    text = (
        "See [`the API`](docs/api.md#a-token) and ![chart](static/c.png 'title').\n"
        "[ref]: bench/README.md\n"
        "`[not](a-link.md)`\n"
        "```\n[nor](this.md)\n```\n"
    )
    assert sorted(_links(text)) == ["bench/README.md", "docs/api.md#a-token", "static/c.png"]
