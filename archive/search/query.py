"""A user's search query, parsed and rewritten as an FTS5 expression over
search forms (see :mod:`archive.search.normalise`).

The language is FTS5's, forgivingly: words, "exact phrases", prefixes
(``word*``), ``AND`` / ``OR`` / ``NOT`` (in capitals; ``-word`` is ``NOT word``) and parentheses; words
side by side must all match. Anything else is read as text: ``covid-19`` and
``U.S.`` are phrases of their words, other punctuation separates words,
an unclosed quote or parenthesis closes at the end, and a misplaced operator
is dropped, with a note saying so. The result is always valid FTS5, so no
input reaches SQLite as syntax: every search form is quoted.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

from archive.search.normalise import WORD_RE, Normaliser, normaliser

OPERATORS = {"AND", "OR", "NOT"}
CHUNK_RE = re.compile(r'"[^"]*"?|\(|\)|[^\s"()]+')
#: The columns searched by default; ``comments`` only on request.
TEXT_COLUMNS = "{title text}"


class EmptyQuery(ValueError):
    """The query holds no word to search for."""


def literal(text: str, norm: Normaliser | None = None) -> str:
    """Every word of ``text`` as a plain term, operators and syntax ignored;
    for callers that cannot show a message (the web UI's search box)."""
    norm = norm or normaliser()
    forms = [norm.word(w) for w in WORD_RE.findall(text) if w not in OPERATORS]
    if not forms:
        raise EmptyQuery(f"nothing to search for in {text!r}")
    return " AND ".join(f'"{form}"' for form in forms)


@dataclass
class Term:
    forms: tuple[str, ...]  # one form: a word; several: a phrase
    prefix: bool = False
    alternatives: tuple[str, ...] = ()  # forms of the same name in the other script
    expanded: tuple[str, ...] | None = None  # a prefix's forms in the index, when known

    def fts(self) -> str:
        if self.prefix and self.expanded:
            # FTS5 reads every matching word's whole list for a prefix before it can
            # sort; an OR of the words stops at the first page asked for (10-20x faster)
            return "(" + " OR ".join(f'"{form}"' for form in self.expanded) + ")"
        own = f'"{" ".join(self.forms)}"' + ("*" if self.prefix else "")
        if not self.alternatives:
            return own
        return "(" + " OR ".join([own, *(f'"{form}"' for form in self.alternatives)]) + ")"


@dataclass
class Node:
    op: str  # AND, OR, NOT (NOT: first child NOT the others)
    children: list


@dataclass
class ParsedQuery:
    tree: Term | Node
    notes: list[str] = field(default_factory=list)

    def fts(self) -> str:
        return _fts(self.tree)

    def matchers(self) -> tuple[set[str], tuple[str, ...]]:
        """The search forms and prefixes a matching page may contain (for
        marking them in snippets); what is only under NOT is left out."""
        forms: set[str] = set()
        prefixes: list[Term] = []
        _collect(self.tree, forms, prefixes)
        for term in prefixes:
            forms.update(term.expanded or ())
        return forms, tuple(term.forms[0] for term in prefixes)

    def title_terms(self) -> list[str]:
        """FTS5 expressions, one per search form and one per prefix a
        matching page may contain (not those only under NOT): the more of
        them a title holds, the more relevant its page."""
        forms: set[str] = set()
        prefixes: list[Term] = []
        _collect(self.tree, forms, prefixes)
        return [f'"{form}"' for form in sorted(forms)] + [term.fts() for term in prefixes]


def parse(
    text: str,
    norm: Normaliser | None = None,
    names: Callable[[str], list[tuple[str, str]]] | None = None,
    prefixes: Callable[[str], list[str] | None] | None = None,
) -> ParsedQuery:
    """Parse a user's query; :class:`EmptyQuery` if it has no word in it,
    :class:`QueryError` if it only excludes words. ``names``, given a
    capitalised word, returns (spelling, form) of the same name in the other
    script that the index holds: the word then matches those too.
    ``prefixes``, given a prefix as written, returns the search forms it
    stands for in the index (None: FTS5's own prefix search). The query is
    read in Unicode's NFKC form (full-width letters and signs as plain ones)."""
    norm = norm or normaliser()
    text = unicodedata.normalize("NFKC", text)
    notes: list[str] = []
    tokens = _tokens(text, norm, notes, names, prefixes)
    parser = _Parser(tokens, notes)
    tree = parser.parse()
    if tree is None:
        raise EmptyQuery(f"nothing to search for in {text!r}: give at least one word")
    return ParsedQuery(tree, notes)


def match_expression(text: str, columns: str = TEXT_COLUMNS, norm: Normaliser | None = None) -> str:
    """The FTS5 MATCH expression for ``text`` over ``columns``."""
    return f"{columns} : ({parse(text, norm).fts()})"


# -- tokens ------------------------------------------------------------------


def _tokens(text: str, norm: Normaliser, notes: list[str], names=None, prefixes=None) -> list:
    tokens: list = []
    for chunk in CHUNK_RE.findall(text):
        if len(chunk) > 1 and chunk[0] == "-" and WORD_RE.match(chunk, 1):
            tokens.append("NOT")  # -word, as web search engines read it
            chunk = chunk[1:]
        if chunk.startswith('"'):
            if len(chunk) == 1 or not chunk.endswith('"'):
                notes.append("an unclosed quote was closed at the end of the query")
                inner = chunk[1:]
            else:
                inner = chunk[1:-1]
            forms = tuple(norm.word(w) for w in WORD_RE.findall(inner))
            if forms:
                tokens.append(Term(forms))
        elif chunk in ("(", ")"):
            tokens.append(chunk)
        elif chunk in OPERATORS:
            tokens.append(chunk)
        else:
            words = WORD_RE.findall(chunk)
            if len(words) == 1 and chunk.endswith("*") and chunk.rstrip("*").endswith(words[0]):
                start = norm.prefix(words[0])
                expanded = prefixes(words[0]) if prefixes else None
                tokens.append(Term((start,), prefix=True, expanded=tuple(expanded) if expanded is not None else None))
            elif len(words) == 1:
                form = norm.word(words[0])
                others = names(words[0]) if names and words[0][:1].isupper() else []
                others = [(spelling, f) for spelling, f in others if f != form]
                if others:
                    shown = ", ".join(sorted({spelling for spelling, _ in others})[:5])
                    notes.append(f"{words[0]} also matches {shown} (the name in the other script)")
                tokens.append(Term((form,), alternatives=tuple(sorted({f for _, f in others}))))
            elif words:
                tokens.append(Term(tuple(norm.word(w) for w in words)))
    return tokens


# -- grammar: or := and (OR and)* ; and := not (AND? not)* ; not := atom (NOT atom)*


class QueryError(ValueError):
    """The query cannot mean anything sensible (e.g. it only excludes)."""


class _Parser:
    def __init__(self, tokens: list, notes: list[str]):
        self.tokens = tokens
        self.at = 0
        self.notes = notes

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self):
        token = self.peek()
        self.at += 1
        return token

    def note(self, message: str) -> None:
        if message not in self.notes:
            self.notes.append(message)

    def parse(self) -> Term | Node | None:
        parts = []
        while self.peek() is not None:
            tree = self.parse_or()
            if tree is not None:
                parts.append(tree)
            if self.peek() is not None:  # a ")" with no "(" before it
                self.take()
                self.note("an unmatched ')' was ignored")
        return _join("AND", parts)

    def parse_or(self):
        parts = [self.parse_and()]
        while self.peek() == "OR":
            self.take()
            parts.append(self.parse_and())
        present = [p for p in parts if p is not None]
        if len(parts) > 1 and len(present) < len(parts):
            self.note("OR with nothing on one side was ignored")
        return _join("OR", present)

    def parse_and(self):
        parts = []
        while True:
            token = self.peek()
            if token == "AND":
                self.take()
                if not parts or self.peek() in (None, ")", "OR"):
                    self.note("AND with nothing on one side was ignored")
                continue
            if token is None or token in (")", "OR"):
                break
            part = self.parse_not()
            if part is not None:
                parts.append(part)
        return _join("AND", parts)

    def parse_not(self):
        first = self.parse_atom() if self.peek() != "NOT" else None
        excluded = []
        while self.peek() == "NOT":
            self.take()
            operand = self.parse_atom()
            if operand is None:
                self.note("NOT with nothing after it was ignored")
            else:
                excluded.append(operand)
        if first is None and excluded:
            raise QueryError("NOT must follow what to search for, as in: Kherson NOT Kyiv")
        return Node("NOT", [first, *excluded]) if excluded else first

    def parse_atom(self):
        token = self.peek()
        if isinstance(token, Term):
            return self.take()
        if token == "(":
            self.take()
            inner = self.parse_or()
            if self.peek() == ")":
                self.take()
            else:
                self.note("an unclosed '(' was closed at the end of the query")
            return inner
        return None  # ")", an operator or the end: the caller decides


def _join(op: str, parts: list):
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else Node(op, parts)


def _fts(tree: Term | Node) -> str:
    if isinstance(tree, Term):
        return tree.fts()
    return "(" + f" {tree.op} ".join(_fts(child) for child in tree.children) + ")"


def _collect(tree: Term | Node, forms: set[str], prefixes: list[Term]) -> None:
    if isinstance(tree, Term):
        if tree.prefix:
            prefixes.append(tree)
        else:
            forms.update(tree.forms)
            forms.update(tree.alternatives)
        return
    children = tree.children[:1] if tree.op == "NOT" else tree.children
    for child in children:
        _collect(child, forms, prefixes)
