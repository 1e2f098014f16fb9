"""The decoder generator behind :meth:`KratyModel.from_wire` (internal).

For each model class, :func:`compile_model_decoder` writes the source of one dedicated
Python function from the class's own field specs (attribute names, wire keys,
annotations) and compiles it once. The function reads each key with one ``dict.get``,
accepts the common case with a single exact ``type(v) is ...`` test, and only on
the rare branches (``null``, ``int`` for a ``float`` field, a wrong type) calls out to
helpers. Lists and ``Dict[str, T]`` values decode in comprehensions; the position of
a bad element (``[3]``, ``.gold``) is found again only after a failure, so the happy
path builds no path strings at all.

What ends up in the source text: identifiers this module makes up (``v3``, ``c1``,
``m2``), fixed snippets, and the field names and wire keys of the class written with
``repr()``. Default values, default factories, nested decoders and the class itself
are handed to the function as globals, never written into the text. Payload data
never reaches the generator: it runs on the class, before any JSON is seen.

Instances are made the way the dataclass ``__init__`` makes them (every field set,
then ``__post_init__()``), by filling ``__dict__`` directly; a class with
``__slots__``, ``InitVar`` pseudo-fields or ``init=False`` fields goes through its
constructor instead.
"""

import dataclasses
import types
import typing
from collections.abc import Callable, Sequence
from typing import Any, Dict, List, Literal, Optional, Protocol, Tuple, Union

__all__ = ["Decoder", "FieldLike", "Mismatch", "compile_model_decoder", "decode_items"]

Decoder = Callable[[Any], Any]

_KINDS = ("string", "number", "boolean", "object", "array")
_MISSING: Any = dataclasses.MISSING


class Mismatch(Exception):
    """A JSON value of the wrong type; ``parts`` collects the path innermost-first."""

    def __init__(self, expected: str, value: Any) -> None:
        super().__init__(expected)
        self.expected = expected
        self.got = json_type(value)
        self.parts: List[str] = []


def json_type(value: Any) -> str:
    """The JSON name of a value's type (``null``, ``boolean``, ``number``, ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


class FieldLike(Protocol):
    """What the generator needs to know about one field (``_base.FieldSpec``)."""

    @property
    def name(self) -> str: ...
    @property
    def wire_key(self) -> str: ...
    @property
    def annotation(self) -> Any: ...
    @property
    def default(self) -> Any: ...
    @property
    def default_factory(self) -> Any: ...


# --------------------------------------------------------------------------- runtime helpers
# Called by the generated code on the branches where the exact type test failed.


def _bad(expected: str, value: Any) -> Any:
    raise Mismatch(expected, value)


def _to_int(value: Any) -> Any:
    if type(value) is float and value.is_integer():
        return int(value)
    raise Mismatch("integer", value)


def _to_float(value: Any) -> Any:
    if type(value) is int:
        try:
            return float(value)
        except OverflowError:  # an integer literal beyond float range (> ~1.8e308)
            raise Mismatch("number within float range", value) from None
    raise Mismatch("number", value)


def _missing(part: str) -> Any:
    exc = Mismatch("a value", None)
    exc.parts.append(part)
    raise exc


def decode_items(decode: Decoder, items: List[Any]) -> List[Any]:
    """``[decode(x) for x in items]``; a failure gets its ``[index]`` path part."""
    out: List[Any] = []
    try:
        for item in items:
            out.append(decode(item))
    except Mismatch as exc:
        exc.parts.append(f"[{len(out)}]")
        raise
    return out


# --------------------------------------------------------------------------- converters


@dataclasses.dataclass(frozen=True, eq=False)
class _Conv:
    """How to turn a JSON value held in a local variable into a field value.

    ``fast`` is a test under which the value is used unchanged (None: never);
    ``conv`` converts (or rejects with ``Mismatch``) a non-null value that failed it.
    Both are templates over ``{x}``, the name of a local variable.
    """

    kinds: Tuple[str, ...]
    conv: str
    fast: Optional[str] = None

    def expr(self, x: str) -> str:
        """One expression: the converted value of ``x`` (or a raised ``Mismatch``)."""
        conv = self.conv.format(x=x)
        if self is _ANY:
            return x
        if self.fast is None:
            return conv
        return f"({x} if {self.fast.format(x=x)} else {conv})"


_ANY = _Conv(_KINDS, "{x}", "True")  # kept as it came
_STR = _Conv(("string",), "_bad('string', {x})", "type({x}) is str")
_BOOL = _Conv(("boolean",), "_bad('boolean', {x})", "type({x}) is bool")
_INT = _Conv(("number",), "_to_int({x})", "type({x}) is int")
_FLOAT = _Conv(("number",), "_to_float({x})", "type({x}) is float")
_NUMBER = _Conv(("number",), "_bad('number', {x})", "type({x}) is int or type({x}) is float")
_OBJECT = _Conv(("object",), "_bad('object', {x})", "type({x}) is dict")
_ARRAY = _Conv(("array",), "_bad('array', {x})", "type({x}) is list")
_PRIMITIVES: Dict[Any, _Conv] = {
    str: _STR,
    int: _INT,
    float: _FLOAT,
    bool: _BOOL,
    Any: _ANY,
    object: _ANY,
}


def _is_union(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return origin is Union or origin is types.UnionType


def is_optional(tp: Any) -> bool:
    """True for ``Optional[X]`` / ``X | None``."""
    return _is_union(tp) and type(None) in typing.get_args(tp)


class _Builder:
    """Collects the generated functions of one model and the globals they use."""

    def __init__(
        self,
        is_model: Callable[[Any], bool],
        resolve: Callable[[type], Decoder],
    ) -> None:
        self.is_model = is_model
        self.resolve = resolve
        self.env: Dict[str, Any] = {
            "_Mismatch": Mismatch,
            "_bad": _bad,
            "_to_int": _to_int,
            "_to_float": _to_float,
            "_missing": _missing,
            "_new": object.__new__,
        }
        self.chunks: List[str] = []
        self.count = 0

    def bind(self, prefix: str, value: Any) -> str:
        """A fresh global name (made here, never from data) holding ``value``."""
        self.count += 1
        name = f"{prefix}{self.count}"
        self.env[name] = value
        return name

    def converter(self, tp: Any) -> _Conv:
        prim = _PRIMITIVES.get(tp)
        if prim is not None:
            return prim
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        if _is_union(tp):
            inner = self.non_null(tp)
            if not is_optional(tp):
                return inner
            fast = "{x} is None" if inner.fast is None else f"{{x}} is None or {inner.fast}"
            return _Conv(inner.kinds, inner.conv, fast)
        if tp is list or origin is list:
            item = self.converter(args[0]) if args else _ANY
            return _ARRAY if item is _ANY else self.container(item, is_list=True)
        if tp is dict or origin is dict:
            if args and args[0] is not str:
                raise TypeError(f"only Dict[str, X] is supported, got {tp!r}")
            value = self.converter(args[1]) if args else _ANY
            return _OBJECT if value is _ANY else self.container(value, is_list=False)
        if self.is_model(tp):
            decoder = self.bind("m", _LazyDecoder(self.env, tp, self.resolve))
            return _Conv(("object",), decoder + "({x})")
        if origin is Literal:  # validated by JSON type only, like dataclasses-json
            kinds = {type(a) for a in args}
            if len(kinds) == 1 and next(iter(kinds)) in (str, int, bool):
                return _PRIMITIVES[next(iter(kinds))]
        raise TypeError(
            f"unsupported model annotation {tp!r}: use str, int, float, bool, Any, List[T], "
            "Dict[str, T], Optional[T], Literal[...] of one type, a KratyModel or a Union of those"
        )

    def non_null(self, tp: Any) -> _Conv:
        """The converter of a Union's non-null members (``Optional[X]`` -> ``X``)."""
        members = tuple(a for a in typing.get_args(tp) if a is not type(None))
        return self.converter(members[0]) if len(members) == 1 else self.union(members)

    def container(self, item: _Conv, *, is_list: bool) -> _Conv:
        # A plain loop: cheaper than a comprehension for the short lists DTOs carry,
        # and the failing position is at hand (``len(out)``, the current key).
        fn = self.bind("c", None)
        if is_list:
            lines = [
                f"def {fn}(x):",
                "    if type(x) is not list:",
                "        raise _Mismatch('array', x)",
                "    out = []",
                "    try:",
                "        for y in x:",
                f"            out.append({item.expr('y')})",
                "    except _Mismatch as exc:",
                "        exc.parts.append(f'[{len(out)}]')",
                "        raise",
                "    return out",
            ]
        else:
            lines = [
                f"def {fn}(x):",
                "    if type(x) is not dict:",
                "        raise _Mismatch('object', x)",
                "    out = {}",
                "    k = None",
                "    try:",
                "        for k, y in x.items():",
                f"            out[k] = {item.expr('y')}",
                "    except _Mismatch as exc:",
                "        exc.parts.append(f'.{k}')",
                "        raise",
                "    return out",
            ]
        self.chunks.append("\n".join(lines) + "\n")
        return _Conv(("array",) if is_list else ("object",), f"{fn}({{x}})")

    def union(self, members: Tuple[Any, ...]) -> _Conv:
        # Like dataclasses-json: a JSON object prefers a model member; a number that
        # fits both an int and a float member is kept as it came.
        ordered = sorted(members, key=lambda m: 0 if self.is_model(m) else 1)
        by_kind: Dict[str, _Conv] = {}
        for member in ordered:
            conv = self.converter(member)
            for kind in _kinds_of(member, self.is_model):
                if kind == "number" and kind in by_kind and by_kind[kind] is not conv:
                    by_kind[kind] = _NUMBER
                by_kind.setdefault(kind, conv)
        expected = " or ".join(k for k in _KINDS if k in by_kind)
        tests = {
            "string": "t is str",
            "number": "t is int or t is float",
            "boolean": "t is bool",
            "object": "t is dict",
            "array": "t is list",
        }
        fn = self.bind("u", None)
        lines = [f"def {fn}(x):", "    t = type(x)"]
        for kind in _KINDS:
            if kind in by_kind:
                lines.append(f"    if {tests[kind]}:")
                lines.append(f"        return {by_kind[kind].expr('x')}")
        lines.append(f"    raise _Mismatch({expected!r}, x)")
        self.chunks.append("\n".join(lines) + "\n")
        # The first member with an exact-type test lets the common case skip the call.
        fast = next((c.fast for c in by_kind.values() if c.fast and c is not _ANY), None)
        return _Conv(tuple(by_kind), f"{fn}({{x}})", fast)


def _kinds_of(tp: Any, is_model: Callable[[Any], bool]) -> Tuple[str, ...]:
    origin = typing.get_origin(tp)
    if tp is str:
        return ("string",)
    if tp in (int, float):
        return ("number",)
    if tp is bool:
        return ("boolean",)
    if tp in (Any, object):
        return _KINDS
    if origin is Literal:
        return _kinds_of(type(typing.get_args(tp)[0]), is_model)
    if tp is dict or origin is dict or is_model(tp):
        return ("object",)
    if tp is list or origin is list:
        return ("array",)
    raise TypeError(f"unsupported annotation in a Union: {tp!r}")


class _LazyDecoder:
    """A nested model's decoder, resolved on first use (models may refer to later
    classes, or to themselves); it then puts the real decoder in its place."""

    __slots__ = ("cls", "env", "resolve")

    def __init__(self, env: Dict[str, Any], cls: type, resolve: Callable[[type], Decoder]) -> None:
        self.env = env
        self.cls = cls
        self.resolve = resolve

    def __call__(self, value: Any) -> Any:
        decode = self.resolve(self.cls)
        for name, bound in list(self.env.items()):
            if bound is self:
                self.env[name] = decode
        return decode(value)


def _builds_like_init(cls: type) -> bool:
    """True when filling ``__dict__`` and calling ``__post_init__()`` equals ``cls(**kw)``.

    That is: the ``__init__`` in use is the one ``@dataclass`` wrote (it sets every
    field, then calls ``__post_init__()``), instances keep their attributes in
    ``__dict__`` (no ``__slots__``), and there are no ``InitVar`` or ``init=False``
    fields. Anything else (or anything unrecognised) uses the constructor.
    """
    owner = next((k for k in cls.__mro__ if "__init__" in k.__dict__), object)
    code = getattr(owner.__dict__.get("__init__"), "__code__", None)
    if "__dataclass_fields__" not in owner.__dict__ or code is None:
        return False
    if code.co_filename != "<string>":  # hand-written in the class body: kept by @dataclass
        return False
    if any(k.__dict__.get("__slots__") for k in cls.__mro__[:-1]):
        return False
    declared = getattr(cls, "__dataclass_fields__", {})
    fields = dataclasses.fields(cls)
    if any(not f.init for f in fields):
        return False
    hints = typing.get_type_hints(cls)
    pseudo = set(declared) - {f.name for f in fields}
    return all(typing.get_origin(hints.get(n)) is typing.ClassVar for n in pseudo)


def compile_model_decoder(
    cls: type,
    specs: Sequence[FieldLike],
    *,
    is_model: Callable[[Any], bool],
    resolve: Callable[[type], Decoder],
) -> Decoder:
    """Generate, compile and return the decoder function of ``cls``.

    Raises:
        TypeError: a field's annotation is not supported.
    """
    b = _Builder(is_model, resolve)
    cls_name = b.bind("cls", cls)
    builds_like_init = _builds_like_init(cls)
    body = [
        "    if type(obj) is not dict:",
        "        raise _Mismatch('object', obj)",
    ]
    if builds_like_init:  # fill the instance's own __dict__, in __init__'s field order
        body += [f"    inst = _new({cls_name})", "    d = inst.__dict__", "    d['raw'] = obj"]
    else:
        body.append("    d = {'raw': obj}")
    for spec in specs:
        key, part, store = repr(spec.wire_key), repr("." + spec.wire_key), f"d[{spec.name!r}]"
        if spec.default_factory is not _MISSING:
            default = b.bind("f", spec.default_factory) + "()"
        elif spec.default is None:
            default = "None"
        elif spec.default is not _MISSING:
            default = b.bind("d", spec.default)
        else:
            default = f"_missing({part})"
        # JSON null on an Optional field is None; on any other field it means "default".
        if is_optional(spec.annotation):
            conv = b.non_null(spec.annotation)
            null = default if default == "None" else f"None if {key} in obj else {default}"
        else:
            conv = b.converter(spec.annotation)
            null = default
        if conv is _ANY:  # the value as it came, null -> default
            if null == "None":
                body.append(f"    {store} = obj.get({key})")
            else:
                body += [f"    v = obj.get({key})", f"    {store} = v", "    if v is None:"]
                body.append(f"        {store} = {null}")
            continue
        body.append(f"    v = obj.get({key})")
        if conv.fast is None:
            body += ["    if v is None:", f"        {store} = {null}"]
        elif null == "None":
            body += [f"    if {conv.fast.format(x='v')} or v is None:", f"        {store} = v"]
        else:
            body += [f"    if {conv.fast.format(x='v')}:", f"        {store} = v"]
            body += ["    elif v is None:", f"        {store} = {null}"]
        body += [
            "    else:",
            "        try:",
            f"            {store} = {conv.conv.format(x='v')}",
            "        except _Mismatch as exc:",
            f"            exc.parts.append({part})",
            "            raise",
        ]
    if not builds_like_init:
        body.append(f"    return {cls_name}(**d)")
    else:
        if hasattr(cls, "__post_init__"):
            body.append("    inst.__post_init__()")
        body.append("    return inst")
    source = "".join(b.chunks) + "def decode(obj):\n" + "\n".join(body) + "\n"
    code = compile(source, f"<kraty decoder {cls.__module__}.{cls.__qualname__}>", "exec")
    exec(code, b.env)  # noqa: S102 - source built above from the class's own fields only
    decode: Decoder = b.env["decode"]
    return decode
