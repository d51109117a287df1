"""A JSON API route declared once: its parameters, body and answer, from which both the checks at the edge and the
OpenAPI document (node/openapi.py) are made, so what the server accepts and what the document says cannot drift.

A parameter's pattern, enum and limits are one `Param`; the handler gets the parsed values (`args`) and never reads
the raw query. A route is added with `ApiRoutes.route(...)` on a handler, then `add_api_routes(app, table)`; its role
is its entry in node/access.py's ACCESS, which also gives the document its security (docs/API.md, "Adding a route").
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from .bodies import read_body
from .errors import BodyTooLargeError, RequestError

MAX_JSON_BODY = 96 * 1024
_DIGITS = re.compile(r"[0-9]{1,19}")
Args = dict[str, Any]
Handler = Callable[[web.Request, Args], Awaitable[web.StreamResponse]]


def python_regex(pattern: str) -> re.Pattern[str]:
    """Return `pattern` (ECMA-262, as JSON Schema reads it) for Python's re: a final `$` must not allow a newline."""
    return re.compile(pattern[:-1] + r"\Z" if pattern.endswith("$") else pattern)


@dataclass(frozen=True, slots=True)
class Param:
    """One query or path parameter, or one string field of a JSON body: its rules, the document's schema of it, and
    `convert`, which turns a valid text into the value the handler gets (it may still refuse it with RequestError)."""

    name: str
    description: str
    where: str = "query"
    kind: str = "string"  # "string" or "integer"
    pattern: str | None = None
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    min_length: int | None = None
    max_length: int | None = None
    format: str | None = None  # a constraint JSON Schema cannot state, named (docs/API.md, "Formats")
    default: Any = None
    convert: Callable[[str], Any] | None = None
    example: Any = None
    regex: re.Pattern[str] | None = field(default=None, init=False, compare=False)

    def __post_init__(self) -> None:
        if self.pattern is not None:
            object.__setattr__(self, "regex", python_regex(self.pattern))

    def schema(self) -> dict[str, Any]:
        """Return the JSON Schema of the parameter's value."""
        out: dict[str, Any] = {"type": self.kind}
        for key, value in (
            ("pattern", self.pattern),
            ("minimum", self.minimum),
            ("maximum", self.maximum),
            ("minLength", self.min_length),
            ("maxLength", self.max_length),
            ("format", self.format),
            ("default", self.default),
        ):
            if value is not None:
                out[key] = value
        if self.enum:
            out["enum"] = list(self.enum)
        return out

    def document(self) -> dict[str, Any]:
        """Return the OpenAPI Parameter Object."""
        out = {
            "name": self.name,
            "in": self.where,
            "required": self.where == "path",
            "description": self.description,
            "schema": self.schema(),
        }
        if self.example is not None:
            out["example"] = self.example
        return out

    def expects(self) -> str:
        if self.kind == "integer":
            return f"a whole number from {self.minimum} to {self.maximum}"
        if self.enum:
            return "one of " + ", ".join(self.enum)
        return self.description

    def read(self, raw: str | None) -> Any:
        """Return the parameter's value from its text (the default when absent); raise RequestError naming it."""
        if raw is None:
            return self.default
        bad = RequestError(f"{self.name} must be {self.expects()}, not {raw!r:.60}", field=self.name)
        if self.kind == "integer":
            if not _DIGITS.fullmatch(raw) or not self.minimum <= int(raw) <= self.maximum:  # type: ignore[operator]
                raise bad
            return int(raw)
        if self.enum and raw not in self.enum:
            raise bad
        if not (self.min_length or 0) <= len(raw) <= (self.max_length or len(raw)):
            raise RequestError(f"{self.name} must have {self.min_length or 0} to {self.max_length} characters", field=self.name)
        if self.regex is not None and not self.regex.search(raw):
            raise bad
        return self.convert(raw) if self.convert else raw


@dataclass(frozen=True, slots=True)
class Field:
    """A field of a JSON object body: a string by `param`'s rules, or (with `max_items`) a list of such strings."""

    param: Param
    required: bool = False
    max_items: int | None = None

    def schema(self) -> dict[str, Any]:
        item = {**self.param.schema(), "description": self.param.description}
        if self.max_items is None:
            return item
        return {"type": "array", "items": self.param.schema(), "maxItems": self.max_items, "description": self.param.description}

    def read(self, value: Any) -> Any:
        name = self.param.name
        if self.max_items is None:
            if not isinstance(value, str):
                raise RequestError(f"{name} must be a string", field=name)
            return self.param.read(value)
        if not isinstance(value, list) or len(value) > self.max_items or not all(isinstance(v, str) for v in value):
            raise RequestError(f"{name} must be a list of at most {self.max_items} strings", field=name)
        return [self.param.read(v) for v in value]


@dataclass(frozen=True, slots=True)
class Body:
    """A JSON object body: its schema, the check made from the same declaration, and examples for the document."""

    schema: dict[str, Any]
    check: Callable[[dict[str, Any]], dict[str, Any]]
    examples: Mapping[str, Any] = field(default_factory=dict)
    components: Mapping[str, Any] = field(default_factory=dict)  # named schemas the body's schema refers to
    limit: int = MAX_JSON_BODY

    @classmethod
    def of(cls, fields: tuple[Field, ...], examples: Mapping[str, Any]) -> Body:
        """Return the body of an object with exactly these fields."""
        schema = {
            "type": "object",
            "additionalProperties": False,
            "required": [f.param.name for f in fields if f.required],
            "properties": {f.param.name: f.schema() for f in fields},
        }

        def check(body: dict[str, Any]) -> dict[str, Any]:
            _known(body, {f.param.name for f in fields}, {f.param.name for f in fields if f.required})
            return {f.param.name: f.read(body[f.param.name]) for f in fields if f.param.name in body}

        return cls(schema, check, examples)

    async def read(self, request: web.Request) -> dict[str, Any]:
        """Return the request's body, checked; raise RequestError (413 for size) naming what is wrong."""
        if request.content_length is not None and request.content_length > self.limit:
            raise BodyTooLargeError(f"body has {request.content_length} bytes, the limit is {self.limit}", field="body")
        raw = await read_body(request, self.limit)
        if raw is None:
            raise BodyTooLargeError(f"body is larger than the limit of {self.limit} bytes", field="body")
        try:
            body = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise RequestError(f"body is not valid JSON: {exc}", field="body") from None
        except RecursionError:
            raise RequestError("body is nested too deeply", field="body") from None
        if not isinstance(body, dict):
            raise RequestError("body must be a JSON object", field="body")
        return self.check(body)


def _known(body: dict[str, Any], allowed: set[str], required: set[str]) -> None:
    for name in body:
        if name not in allowed:
            raise RequestError(f"unknown field {name!r:.60}", field=str(name)[:60])
    for name in sorted(required):
        if name not in body:
            raise RequestError(f"missing field {name!r}", field=name)


@dataclass(frozen=True, slots=True)
class Operation:
    """One declared route: what the document says of it and what the edge checks before its handler runs."""

    method: str
    path: str
    name: str
    summary: str
    params: tuple[Param, ...] = ()
    body: Body | None = None
    status: int = 200
    reply: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    errors: tuple[int, ...] = ()

    @property
    def key(self) -> str:
        """Return the route as node/access.py's ACCESS names it."""
        return f"{self.method} {self.path}"

    async def args(self, request: web.Request) -> Args:
        """Return the request's parameters (and `body`), checked and converted; raise RequestError naming the bad one."""
        args: Args = {}
        for param in self.params:
            if param.where == "path":
                raw: str | None = request.match_info[param.name]
            else:
                given = request.query.getall(param.name, [])
                if len(given) > 1:
                    raise RequestError(f"{param.name} is given {len(given)} times; give it once", field=param.name)
                raw = given[0] if given else None
            args[param.name] = param.read(raw)
        if self.body is not None:
            args["body"] = await self.body.read(request)
        return args


class ApiRoutes:
    """A table of declared routes: aiohttp routes whose handlers get checked `args`, and their Operations."""

    def __init__(self) -> None:
        self.table = web.RouteTableDef()
        self.operations: list[Operation] = []

    def route(self, method: str, path: str, summary: str, **declared: Any) -> Callable[[Handler], Handler]:
        """Declare the handler of `method path` (see Operation for the rest: params, body, status, reply, errors)."""

        def add(handler: Handler) -> Handler:
            operation = Operation(method, path, handler.__name__, summary, **declared)
            self.operations.append(operation)

            async def checked(request: web.Request) -> web.StreamResponse:
                return await handler(request, await operation.args(request))

            checked.__name__ = handler.__name__
            self.table.route(method, path)(checked)
            return handler

        return add

    def get(self, path: str, summary: str, **declared: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, summary, **declared)

    def post(self, path: str, summary: str, **declared: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, summary, status=declared.pop("status", 201), **declared)


OPERATIONS = web.AppKey("api_operations", list)
"""The declared operations an app serves, in order: what GET /api/v1/openapi.json describes."""


def add_api_routes(app: web.Application, routes: ApiRoutes) -> None:
    """Serve `routes` on `app` and put their operations in its OpenAPI document."""
    app.add_routes(routes.table)
    app.setdefault(OPERATIONS, []).extend(routes.operations)
