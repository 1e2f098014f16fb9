"""The base every DTO follows: ``KratyModel`` plus a fast validating decoder.

DTOs are frozen dataclasses declared with dataclasses-json (camelCase wire names,
unknown keys excluded), so ``Model.from_dict(d)`` works as the slow reference path.
Responses are decoded with :meth:`KratyModel.from_wire`, a per-class compiled decoder
that equals ``from_dict`` for every valid input, is several times faster, and raises
:class:`~kraty_pygame.sdk.errors.KratyProtocolError` naming the offending field
(``data.entries[3].score: expected number, got string``) instead of guessing.

No ``from __future__ import annotations`` here: dataclasses-json reads the
annotations at runtime (STYLE.md §6).
"""

import dataclasses
import datetime as _dt
import threading
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, List, Literal, Optional, Tuple, Type, TypeVar, Union

from dataclasses_json import DataClassJsonMixin, LetterCase, Undefined
from dataclasses_json import config as _dcj_config
from dataclasses_json.stringcase import camelcase as _camelcase

from kraty_pygame.sdk.errors import KratyProtocolError

__all__ = [
    "FieldSpec",
    "KratyModel",
    "decode_list",
    "localized",
    "model_fields",
    "parse_iso",
    "wire_name",
]

M = TypeVar("M", bound="KratyModel")

_WIRE_NAME_KEY = "kraty_wire_name"
_MISSING: Any = object()


def wire_name(name: str) -> Dict[str, Any]:
    """Field metadata naming the JSON member when camelCase does not fit (``self_entry``)."""
    metadata: Dict[str, Any] = _dcj_config(field_name=name)
    metadata[_WIRE_NAME_KEY] = name
    return metadata


@dataclass(frozen=True)
class KratyModel(DataClassJsonMixin):
    """Frozen DTO base: camelCase wire names, unknown keys ignored, ``raw`` kept.

    Attributes:
        raw: the JSON object this model was decoded from (not compared, not in ``repr``);
            fields added by newer backends stay reachable through it.
    """

    dataclass_json_config: ClassVar[Optional[Dict[str, Any]]] = _dcj_config(  # type: ignore[misc]
        letter_case=LetterCase.CAMEL, undefined=Undefined.EXCLUDE
    )["dataclasses_json"]

    raw: Dict[str, Any] = field(
        default_factory=dict,
        kw_only=True,
        compare=False,
        repr=False,
        metadata=_dcj_config(exclude=lambda _value: True),
    )

    @classmethod
    def from_wire(cls: Type[M], obj: Any, path: str = "data") -> M:
        """Decode one JSON object (fast, validating).

        Args:
            obj: the parsed JSON value (usually ``envelope["data"]``).
            path: the name of ``obj`` used in error messages.

        Raises:
            KratyProtocolError: ``obj`` does not fit the model; the message names the field.
        """
        decode = _model_decoder(cls)
        try:
            return typing.cast(M, decode(obj))
        except _Mismatch as exc:
            raise exc.to_protocol_error(path) from None


def decode_list(model: Type[M], obj: Any, path: str = "data") -> List[M]:
    """Decode a JSON array of ``model`` objects (fast, validating)."""
    decode = _model_decoder(model)
    if type(obj) is not list:
        raise _Mismatch("array", obj).to_protocol_error(path)
    out: List[M] = []
    index = 0
    try:
        for index, item in enumerate(obj):  # noqa: B007 - index is read in the handler
            out.append(decode(item))
    except _Mismatch as exc:
        exc.parts.append(f"[{index}]")
        raise exc.to_protocol_error(path) from None
    return out


def parse_iso(value: Optional[str]) -> Optional[_dt.datetime]:
    """Parse an ISO-8601 timestamp (``Z`` allowed) into an aware datetime; ``None`` if unusable."""
    if not isinstance(typing.cast(object, value), str) or not value:
        return None
    try:
        parsed = _dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_dt.timezone.utc)
    return parsed


def localized(value: Union[str, Dict[str, str], None], locale: str = "en") -> str:
    """Pick the text for ``locale`` from a localized value (a string or ``{locale: text}``).

    Falls back to the language part (``pt-BR`` -> ``pt``), then ``en``, then the first entry.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if not value:
        return ""
    for key in (locale, locale.split("-", maxsplit=1)[0].split("_", maxsplit=1)[0], "en"):
        text: object = value.get(key)
        if isinstance(text, str):
            return text
    first: object = next(iter(value.values()))
    return first if isinstance(first, str) else ""


# --------------------------------------------------------------------------- introspection


@dataclass(frozen=True)
class FieldSpec:
    """How one model field travels: attribute, JSON key, annotation, default."""

    name: str
    wire_key: str
    annotation: Any
    default: Any
    default_factory: Any

    @property
    def has_default(self) -> bool:
        """True when the field can be omitted on the wire."""
        return (
            self.default is not dataclasses.MISSING
            or self.default_factory is not dataclasses.MISSING
        )

    def make_default(self) -> Any:
        """A fresh default value (raises ``TypeError`` for a required field)."""
        if self.default is not dataclasses.MISSING:
            return self.default
        if self.default_factory is not dataclasses.MISSING:
            return self.default_factory()
        raise TypeError(f"field {self.name!r} has no default")


_specs_cache: Dict[type, Tuple[FieldSpec, ...]] = {}


def model_fields(cls: Type["KratyModel"]) -> Tuple[FieldSpec, ...]:
    """The wire fields of a model (``raw`` excluded), annotations resolved."""
    cached = _specs_cache.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    specs = []
    for f in dataclasses.fields(cls):
        if f.name == "raw" or not f.init:
            continue
        key = f.metadata.get(_WIRE_NAME_KEY) or _camelcase(f.name)  # type: ignore[no-untyped-call]
        specs.append(FieldSpec(f.name, key, hints[f.name], f.default, f.default_factory))
    result = tuple(specs)
    _specs_cache[cls] = result
    return result


# --------------------------------------------------------------------------- fast decoder


class _Mismatch(Exception):
    """Internal: a JSON value of the wrong type; ``parts`` collects the path innermost-first."""

    def __init__(self, expected: str, value: Any) -> None:
        super().__init__(expected)
        self.expected = expected
        self.got = _json_type(value)
        self.parts: List[str] = []

    def with_part(self, part: str) -> "_Mismatch":
        self.parts.append(part)
        return self

    def to_protocol_error(self, root: str) -> KratyProtocolError:
        where = root + "".join(reversed(self.parts))
        return KratyProtocolError(f"{where}: expected {self.expected}, got {self.got}", field=where)


def _json_type(value: Any) -> str:
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


Decoder = Callable[[Any], Any]


def _dec_str(v: Any) -> Any:
    if type(v) is str:
        return v
    raise _Mismatch("string", v)


def _dec_int(v: Any) -> Any:
    t = type(v)
    if t is int:
        return v
    if t is float and v.is_integer():
        return int(v)
    raise _Mismatch("integer", v)


def _dec_float(v: Any) -> Any:
    t = type(v)
    if t is float:
        return v
    if t is int:
        return float(v)
    raise _Mismatch("number", v)


def _dec_bool(v: Any) -> Any:
    if type(v) is bool:
        return v
    raise _Mismatch("boolean", v)


def _dec_any(v: Any) -> Any:
    return v


def _dec_object(v: Any) -> Any:
    if type(v) is dict:
        return v
    raise _Mismatch("object", v)


def _dec_array(v: Any) -> Any:
    if type(v) is list:
        return v
    raise _Mismatch("array", v)


_PRIMITIVES: Dict[Any, Decoder] = {
    str: _dec_str,
    int: _dec_int,
    float: _dec_float,
    bool: _dec_bool,
    Any: _dec_any,
    object: _dec_any,
}
_KINDS = ("string", "number", "boolean", "object", "array")


def _list_decoder(item: Decoder) -> Decoder:
    if item is _dec_any:
        return _dec_array

    def decode(v: Any) -> Any:
        if type(v) is not list:
            raise _Mismatch("array", v)
        out = []
        i = 0
        try:
            for i, x in enumerate(v):  # noqa: B007 - i is read in the handler
                out.append(item(x))
        except _Mismatch as exc:
            exc.parts.append(f"[{i}]")
            raise
        return out

    return decode


def _dict_decoder(value: Decoder) -> Decoder:
    if value is _dec_any:
        return _dec_object

    def decode(v: Any) -> Any:
        if type(v) is not dict:
            raise _Mismatch("object", v)
        out = {}
        key = ""
        try:
            for key, x in v.items():
                out[key] = value(x)
        except _Mismatch as exc:
            exc.parts.append(f".{key}")
            raise
        return out

    return decode


def _optional_decoder(inner: Decoder) -> Decoder:
    def decode(v: Any) -> Any:
        return None if v is None else inner(v)

    return decode


def _kinds_of(tp: Any) -> Tuple[str, ...]:
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
        return _kinds_of(type(typing.get_args(tp)[0]))
    if tp is dict or origin is dict or (isinstance(tp, type) and issubclass(tp, KratyModel)):
        return ("object",)
    if tp is list or origin is list:
        return ("array",)
    raise TypeError(f"unsupported annotation in a Union: {tp!r}")


def _kind_of_value(v: Any) -> str:
    t = type(v)
    if t is str:
        return "string"
    if t is bool:
        return "boolean"
    if t is int or t is float:
        return "number"
    if t is dict:
        return "object"
    if t is list:
        return "array"
    return "other"


def _dec_number(v: Any) -> Any:
    t = type(v)
    if t is int or t is float:
        return v
    raise _Mismatch("number", v)


def _union_decoder(members: Tuple[Any, ...]) -> Decoder:
    # Like dataclasses-json: a JSON object prefers a model member; a number matching
    # both int and float members is kept as it came.
    ordered = sorted(
        members, key=lambda m: 0 if isinstance(m, type) and issubclass(m, KratyModel) else 1
    )
    by_kind: Dict[str, Decoder] = {}
    for member in ordered:
        dec = _decoder_for(member)
        for kind in _kinds_of(member):
            if kind == "number" and kind in by_kind and by_kind[kind] is not dec:
                by_kind[kind] = _dec_number
            by_kind.setdefault(kind, dec)
    expected = " or ".join(k for k in _KINDS if k in by_kind)

    def decode(v: Any) -> Any:
        dec = by_kind.get(_kind_of_value(v))
        if dec is None:
            raise _Mismatch(expected, v)
        return dec(v)

    return decode


def _decoder_for(tp: Any) -> Decoder:
    prim = _PRIMITIVES.get(tp)
    if prim is not None:
        return prim
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        non_null = tuple(a for a in args if a is not type(None))
        inner = _decoder_for(non_null[0]) if len(non_null) == 1 else _union_decoder(non_null)
        if len(non_null) != len(args):
            return _optional_decoder(inner)
        return inner
    if tp is list or origin is list:
        return _list_decoder(_decoder_for(args[0]) if args else _dec_any)
    if tp is dict or origin is dict:
        if args and args[0] is not str:
            raise TypeError(f"only Dict[str, X] is supported, got {tp!r}")
        return _dict_decoder(_decoder_for(args[1]) if args else _dec_any)
    if isinstance(tp, type) and issubclass(tp, KratyModel):
        return _LazyModelDecoder(tp)
    if origin is Literal:  # validated by JSON type only, like dataclasses-json
        kinds = {type(a) for a in args}
        if len(kinds) == 1 and next(iter(kinds)) in (str, int, bool):
            return _PRIMITIVES[next(iter(kinds))]
    raise TypeError(
        f"unsupported model annotation {tp!r}: use str, int, float, bool, Any, List[T], "
        "Dict[str, T], Optional[T], Literal[...] of one type, a KratyModel or a Union of those"
    )


class _LazyModelDecoder:
    """Resolves a nested model's plan on first use (models may refer to later classes)."""

    __slots__ = ("cls", "decode")

    def __init__(self, cls: Type["KratyModel"]) -> None:
        self.cls = cls
        self.decode: Optional[Decoder] = None

    def __call__(self, v: Any) -> Any:
        decode = self.decode
        if decode is None:
            decode = self.decode = _model_decoder(self.cls)
        return decode(v)


_decoders: Dict[type, Decoder] = {}
_decoders_lock = threading.Lock()

# A field plan: (attribute, wire key, decoder or None for Any, default, factory, null_is_none)
_Plan = Tuple[str, str, Optional[Decoder], Any, Any, bool]


def _model_decoder(cls: Type["KratyModel"]) -> Decoder:
    cached = _decoders.get(cls)
    if cached is not None:
        return cached
    with _decoders_lock:
        cached = _decoders.get(cls)
        if cached is None:
            cached = _compile(cls)
            _decoders[cls] = cached
    return cached


def _is_optional(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return (origin is Union or origin is types.UnionType) and type(None) in typing.get_args(tp)


def _compile(cls: Type["KratyModel"]) -> Decoder:
    plan: List[_Plan] = []
    required: List[str] = []
    for spec in model_fields(cls):
        dec = _decoder_for(spec.annotation)
        if not spec.has_default:
            required.append(spec.wire_key)
        factory = spec.default_factory if spec.default_factory is not dataclasses.MISSING else None
        default = spec.default if spec.default is not dataclasses.MISSING else _MISSING
        # JSON null on an Optional field is None; on any other field it means "default".
        null_is_none = _is_optional(spec.annotation) and default is not None
        plan.append(
            (
                spec.name,
                spec.wire_key,
                None if dec is _dec_any else dec,
                default,
                factory,
                null_is_none,
            )
        )
    frozen_plan = tuple(plan)
    fast_init = "__post_init__" not in dir(cls) and not hasattr(cls, "__slots__") and not required

    def decode(obj: Any) -> Any:
        if type(obj) is not dict:
            raise _Mismatch("object", obj)
        values: Dict[str, Any] = {}
        for name, key, dec, default, factory, null_is_none in frozen_plan:
            v = obj.get(key)
            if v is None:
                if null_is_none and key in obj:
                    values[name] = None
                elif factory is not None:
                    values[name] = factory()
                elif default is not _MISSING:
                    values[name] = default
                else:
                    raise _Mismatch("a value", None).with_part(f".{key}")
                continue
            if dec is not None:
                try:
                    v = dec(v)
                except _Mismatch as exc:
                    exc.parts.append(f".{key}")
                    raise
            values[name] = v
        values["raw"] = obj
        if fast_init:
            inst = object.__new__(cls)
            inst.__dict__.update(values)
            return inst
        return cls(**values)

    return decode
