"""The condition language of runbooks and labs: parsed, checked, never `eval`-ed.

    leader(orders).region == "eu-west"     lag(pg-3) < 2s      availability(orders) >= 99%
    writes_lost == 0 and not election(orders)     health(pg-1) != "up" or rto_seconds <= 60s

Grammar (lowest precedence first):
    expr   := and ("or" and)*
    and    := unary ("and" unary)*
    unary  := "not" unary | compare
    compare:= value (("==" | "!=" | "<" | "<=" | ">" | ">=") value)?
    value  := primary ("." NAME)*
    primary:= NUMBER[ms|s|m|h|%] | STRING | true | false | null | NAME | NAME "(" args ")" | "(" expr ")"
Durations become seconds and percentages fractions, so `lag(pg-3) < 500ms` and
`availability(orders) >= 99.9%` compare like with like. Names may contain hyphens (node
names such as pg-3). A bare name is a figure of the run (writes_lost, rto_seconds, ...).

Errors carry the column of the offending token, so a loader can point at FILE:LINE:COL.
What a condition may name, and whether it could ever hold, is checked in checks.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from regionctl.units import format_duration, parse_duration


class ExprError(ValueError):
    """A parse or check error; `column` is 0-based within the expression text."""

    def __init__(self, message: str, column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.column = column


class EvalError(ValueError):
    """The expression is well formed but cannot be answered from this state."""


# -- tokens -----------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<ws>\s+)
  | (?P<number>[0-9][0-9.]*(?:[A-Za-z]+[0-9.]*)*%?)  # 10, 99.9%, 2s, 1m30s: read by _number (units.py)
  | (?P<string>"[^"\\]*"|'[^'\\]*')
  | (?P<op>==|!=|<=|>=|<|>|\(|\)|,|\.)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*)
""", re.VERBOSE)


@dataclass(frozen=True, slots=True)
class Token:
    """A token of a condition, with its column."""

    kind: str
    text: str
    column: int


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            raise ExprError(f"unexpected character {text[pos]!r}", pos)
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


# -- syntax tree ------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Literal:
    """A literal value in a condition."""

    value: Any
    column: int
    unit: str = ""  # "duration" or "percent" when written with one (2s, 99.9%): how the other side is shown


@dataclass(frozen=True, slots=True)
class Ref:
    """A figure named in a condition (`rto_seconds`)."""

    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Call:
    """A function call in a condition (`leader(orders)`)."""

    func: str
    args: tuple[str, ...]
    column: int


@dataclass(frozen=True, slots=True)
class Attr:
    """An attribute of a call's result (`leader(orders).region`)."""

    target: Node
    name: str
    column: int


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison in a condition."""

    op: str
    left: Node
    right: Node
    column: int


@dataclass(frozen=True, slots=True)
class BoolOp:
    """`and`, `or` or `not` over conditions."""

    op: str  # and | or | not
    operands: tuple[Node, ...]
    column: int


Node = Literal | Ref | Call | Attr | Compare | BoolOp
KEYWORDS = {"and", "or", "not", "true", "false", "null"}


def _unit(text: str) -> str:
    return "percent" if text.endswith("%") else "duration" if any(c.isalpha() for c in text) else ""


def _number(text: str) -> float:
    unit = _unit(text)
    if unit == "duration":
        return parse_duration(text)  # its message says what a duration looks like
    try:
        return float(text[:-1] if unit == "percent" else text) / (100.0 if unit == "percent" else 1.0)
    except ValueError:
        raise ValueError(f"expected a number, a duration (2s) or a percentage (99.9%), found {text!r}") from None


MAX_DEPTH = 32  # parentheses, `not`s and `.field`s inside each other: deeper is no condition anyone writes


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    def deeper(self, column: int) -> None:
        """Parsing, checking and evaluating recurse once per level: bound it with a clear error, not a
        RecursionError."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"expected a condition nested at most {MAX_DEPTH} deep (parentheses, `not` and "
                            f"`.field` inside each other), found more", column)

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def expect(self, text: str) -> Token:
        token = self.take()
        if token.text != text:
            found = "the end" if token.kind == "end" else repr(token.text)
            raise ExprError(f"expected {text!r}, found {found}", token.column)
        return token

    def parse(self) -> Node:
        node = self.or_expr()
        token = self.peek()
        if token.kind != "end":
            raise ExprError(f"unexpected {token.text!r} after a complete condition", token.column)
        return node

    def or_expr(self) -> Node:
        first = self.peek().column
        items = [self.and_expr()]
        while self.peek().text == "or":
            self.take()
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items), first)

    def and_expr(self) -> Node:
        first = self.peek().column
        items = [self.unary()]
        while self.peek().text == "and":
            self.take()
            items.append(self.unary())
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items), first)

    def unary(self) -> Node:
        if self.peek().text == "not":
            column = self.take().column
            self.deeper(column)
            node = BoolOp("not", (self.unary(),), column)
            self.depth -= 1
            return node
        return self.compare()

    def compare(self) -> Node:
        left = self.value()
        token = self.peek()
        if token.kind == "op" and token.text in ("==", "!=", "<", "<=", ">", ">="):
            self.take()
            return Compare(token.text, left, self.value(), token.column)
        return left

    def value(self) -> Node:
        node = self.primary()
        levels = 0
        while self.peek().text == ".":
            self.deeper(self.take().column)
            levels += 1
            name = self.take()
            if name.kind != "name":
                raise ExprError(f"expected a field name after '.', found {name.text or 'the end'!r}", name.column)
            node = Attr(node, name.text, name.column)
        self.depth -= levels
        return node

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "number":
            try:
                return Literal(_number(token.text), token.column, _unit(token.text))
            except ValueError as exc:
                raise ExprError(str(exc), token.column) from None
        if token.kind == "string":
            return Literal(token.text[1:-1], token.column)
        if token.text == "(":
            self.deeper(token.column)
            node = self.or_expr()
            self.expect(")")
            self.depth -= 1
            return node
        if token.kind == "name":
            if token.text in ("true", "false"):
                return Literal(token.text == "true", token.column)
            if token.text == "null":
                return Literal(None, token.column)
            if token.text in KEYWORDS:
                raise ExprError(f"expected a value, found the keyword {token.text!r}", token.column)
            if self.peek().text == "(":
                self.take()
                args: list[str] = []
                while self.peek().text != ")":
                    arg = self.take()
                    if arg.kind not in ("name", "string"):
                        found = "the end" if arg.kind == "end" else repr(arg.text)
                        raise ExprError(f"expected a name as argument of {token.text}(), found {found}", arg.column)
                    args.append(arg.text.strip("\"'"))
                    if self.peek().text == ",":
                        self.take()
                    elif self.peek().text != ")":
                        bad = self.peek()
                        raise ExprError(f"expected ',' or ')', found {bad.text or 'the end'!r}", bad.column)
                self.take()
                return Call(token.text, tuple(args), token.column)
            return Ref(token.text, token.column)
        found = "the end of the condition" if token.kind == "end" else repr(token.text)
        raise ExprError(f"expected a value, found {found}", token.column)


def parse(text: str) -> Node:
    if not text.strip():
        raise ExprError("the condition is empty", 0)
    return _Parser(text).parse()


# -- evaluation --------------------------------------------------------------------------------
class Record:
    """A node, region, tenant or service as a condition sees it; equal to its name."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = dict(fields)

    def get(self, name: str) -> Any:
        if name not in self.fields:
            raise EvalError(f"no field {name!r} (fields: {', '.join(sorted(self.fields))})")
        return self.fields[name]

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Record):
            return bool(self.fields.get("name") == other.fields.get("name"))
        return bool(self.fields.get("name") == other)

    def __hash__(self) -> int:
        return hash(self.fields.get("name"))

    def __repr__(self) -> str:
        return str(self.fields.get("name"))


Resolver = Callable[[str, str], Any]  # (function, argument) -> value
FigureLookup = Callable[[str], Any]  # bare name -> value


def _describe(value: Any, unit: str = "") -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float) and unit == "duration":
        return format_duration(value)
    if isinstance(value, int | float) and unit == "percent":
        return f"{value * 100:g}%"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return bool(left == right) if not isinstance(right, Record) else bool(right == left)
    if op == "!=":
        return not _compare("==", left, right)
    if left is None or right is None:
        return False  # an unknown figure (no recovery yet) satisfies no ordering
    if isinstance(left, Record):
        left = left.get("name")
    if isinstance(right, Record):
        right = right.get("name")
    mixed = isinstance(left, bool) or isinstance(right, bool) or type(left) is str or type(right) is str
    if mixed and not (type(left) is str and type(right) is str):
        raise EvalError(f"cannot order {_describe(left)} and {_describe(right)}")
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    if op == ">":
        return bool(left > right)
    return bool(left >= right)


def evaluate(node: Node, call: Resolver, figure: FigureLookup) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Ref):
        return figure(node.name)
    if isinstance(node, Call):
        return call(node.func, node.args[0])
    if isinstance(node, Attr):
        target = evaluate(node.target, call, figure)
        if target is None:
            return None
        if not isinstance(target, Record):
            raise EvalError(f"{_describe(target)} has no field {node.name!r}")
        return target.get(node.name)
    if isinstance(node, Compare):
        return _compare(node.op, evaluate(node.left, call, figure), evaluate(node.right, call, figure))
    if node.op == "not":
        return not truthy(evaluate(node.operands[0], call, figure))
    if node.op == "and":
        return all(truthy(evaluate(o, call, figure)) for o in node.operands)
    return any(truthy(evaluate(o, call, figure)) for o in node.operands)


def truthy(value: Any) -> bool:
    if isinstance(value, Record):
        return True
    return bool(value)


def explain(node: Node, call: Resolver, figure: FigureLookup) -> str:
    """The values a comparison saw, for messages: `lag(pg-3) < 2s` -> 'lag(pg-3) = 3.4'."""
    parts: list[str] = []

    def walk(n: Node) -> None:
        if isinstance(n, Compare):
            # A figure compared with `2s` or `99.9%` is shown in that unit: lag(pg-3) = 615ms, not 0.615.
            unit = next((s.unit for s in (n.left, n.right) if isinstance(s, Literal) and s.unit), "")
            for side in (n.left, n.right):
                if not isinstance(side, Literal):
                    try:
                        parts.append(f"{render(side)} = {_describe(evaluate(side, call, figure), unit)}")
                    except EvalError as exc:
                        parts.append(f"{render(side)}: {exc}")
        elif isinstance(n, BoolOp):
            for o in n.operands:
                walk(o)
        elif not isinstance(n, Literal):
            try:
                parts.append(f"{render(n)} = {_describe(evaluate(n, call, figure))}")
            except EvalError as exc:
                parts.append(f"{render(n)}: {exc}")

    walk(node)
    return ", ".join(dict.fromkeys(parts))  # each value once, in order


def render(node: Node) -> str:
    if isinstance(node, Literal):
        return _describe(node.value, node.unit)
    if isinstance(node, Ref):
        return node.name
    if isinstance(node, Call):
        return f"{node.func}({', '.join(node.args)})"
    if isinstance(node, Attr):
        return f"{render(node.target)}.{node.name}"
    if isinstance(node, Compare):
        return f"{render(node.left)} {node.op} {render(node.right)}"
    if node.op == "not":
        return f"not {render(node.operands[0])}"
    return f" {node.op} ".join(render(o) for o in node.operands)
