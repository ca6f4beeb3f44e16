"""Partial responses: the `fields` parameter every Google API takes.

fields = selection ("," selection)*
selection = name ("/" name)* ["(" fields ")"]

"a/b" keeps member b of a, "a(b,c)" members b and c of a, "*" every
member at that level; selections add up, "*" with the rest.  A selection
applies to each element of an array.  One nested deeper than 64 names is
refused like one that does not parse.
Members a resource does not have are left out, and so is an object none
of whose selected members it has.  The real service also checks names
against the resource's schema; this one does not.
"""

import re

NAME = re.compile(r"[A-Za-z0-9_.\-]+|\*")
MAX_DEPTH = 64          # no resource is nested deeper


class FieldsError(ValueError):
    """A selection that does not parse; the message names where."""


def parse(text):
    """The selection tree of text: {name: subtree}, None for 'all'."""
    p = _Parser(text)
    tree = p.selections()
    if p.pos != len(text):
        p.fail()
    return tree


def select(value, tree):
    """value with only what tree selects, in the value's own order"""
    if tree is None:
        return value
    if isinstance(value, list):
        return [select(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for k, v in value.items():
        if k in tree and "*" in tree:
            sub = _union(tree[k], tree["*"])
        elif k in tree:
            sub = tree[k]
        elif "*" in tree:
            sub = tree["*"]
        else:
            continue
        got = select(v, sub)
        if isinstance(got, dict) and not got and v:
            continue            # nothing it selected is there
        out[k] = got
    return out


def _union(a, b):
    """what either of two selection trees selects"""
    if a is None or b is None:
        return None
    out = dict(a)
    for name, sub in b.items():
        out[name] = _union(out[name], sub) if name in out else sub
    return out


class _Parser:
    def __init__(self, text):
        self.text = text
        self.pos = 0
        self.depth = 0

    def fail(self):
        raise FieldsError("Invalid field selection %s"
                          % (self.text[self.pos:] or self.text))

    def peek(self):
        return self.text[self.pos:self.pos + 1]

    def name(self):
        m = NAME.match(self.text, self.pos)
        if m is None:
            self.fail()
        self.pos = m.end()
        return m.group(0)

    def selection(self):
        path = [self.name()]
        while self.peek() == "/":
            self.pos += 1
            path.append(self.name())
        if self.depth + len(path) > MAX_DEPTH:
            raise FieldsError("Invalid field selection %s: nested deeper "
                              "than %d" % (path[0], MAX_DEPTH))
        sub = None
        if self.peek() == "(":
            self.pos += 1
            self.depth += len(path)
            sub = self.selections()
            self.depth -= len(path)
            if self.peek() != ")":
                self.fail()
            self.pos += 1
        for name in reversed(path):
            sub = {name: sub}
        return sub

    def selections(self):
        tree = self.selection()
        while self.peek() == ",":
            self.pos += 1
            tree = _union(tree, self.selection())
        return tree
