"""Partial responses: the `fields` parameter every Google API takes.

fields = selection ("," selection)*
selection = name ("/" name)* ["(" fields ")"]

"a/b" keeps member b of a, "a(b,c)" members b and c of a, "*" every
member at that level.  A selection applies to each element of an array.
Members a resource does not have are left out, and so is an object none
of whose selected members it has.  The real service also checks names
against the resource's schema; this one does not.
"""

import re

NAME = re.compile(r"[A-Za-z0-9_.\-]+|\*")


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
    """value with only what tree selects"""
    if tree is None:
        return value
    if isinstance(value, list):
        return [select(v, tree) for v in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for name, sub in tree.items():
        keys = list(value) if name == "*" else [name]
        for k in keys:
            if k not in value:
                continue
            v = select(value[k], sub)
            if isinstance(v, dict) and not v and value[k]:
                continue        # nothing it selected is there
            out[k] = _merge_value(out.get(k), v) if k in out else v
    return out


def _merge_value(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        c = dict(a)
        for k, v in b.items():
            c[k] = _merge_value(c[k], v) if k in c else v
        return c
    return b


def _merge(a, b):
    """the union of two selection trees"""
    for name, sub in b.items():
        if name not in a:
            a[name] = sub
        elif a[name] is None or sub is None:
            a[name] = None
        else:
            _merge(a[name], sub)
    return a


class _Parser:
    def __init__(self, text):
        self.text = text
        self.pos = 0

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
        sub = None
        if self.peek() == "(":
            self.pos += 1
            sub = self.selections()
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
            _merge(tree, self.selection())
        return tree
