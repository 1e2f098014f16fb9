"""The base every DTO follows: ``KratyModel`` plus a fast validating decoder.

DTOs are frozen dataclasses declared with dataclasses-json (camelCase wire names,
unknown keys excluded), so ``Model.from_dict(d)`` works as the slow reference path.
Responses are decoded with :meth:`KratyModel.from_wire`: a decoder function written
for each class from its own fields and compiled once (``_codegen``), which equals
``from_dict`` for every valid input, is far faster (no per-field interpreter loop,
one exact type test per value on the common path), and raises
:class:`~kraty_pygame.sdk.errors.KratyProtocolError` naming the offending field
(``data.entries[3].score: expected number, got string``) instead of guessing.

No ``from __future__ import annotations`` here: dataclasses-json reads the
annotations at runtime.
"""

import dataclasses
import datetime as _dt
import threading
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Dict, List, Optional, Tuple, Type, TypeVar, Union

from dataclasses_json import DataClassJsonMixin, LetterCase, Undefined
from dataclasses_json import config as _dcj_config
from dataclasses_json.stringcase import camelcase as _camelcase

from kraty_pygame.sdk.errors import KratyProtocolError
from kraty_pygame.sdk.models._codegen import (
    Decoder,
    Mismatch,
    compile_model_decoder,
    decode_items,
)

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
        except Mismatch as exc:
            raise _protocol_error(exc, path) from None


def decode_list(model: Type[M], obj: Any, path: str = "data") -> List[M]:
    """Decode a JSON array of ``model`` objects (fast, validating)."""
    decode = _model_decoder(model)
    if type(obj) is not list:
        raise _protocol_error(Mismatch("array", obj), path)
    try:
        return decode_items(decode, obj)
    except Mismatch as exc:
        raise _protocol_error(exc, path) from None


def _protocol_error(exc: Mismatch, root: str) -> KratyProtocolError:
    where = root + "".join(reversed(exc.parts))
    return KratyProtocolError(f"{where}: expected {exc.expected}, got {exc.got}", field=where)


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

_decoders: Dict[type, Decoder] = {}
_decoders_lock = threading.Lock()


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, KratyModel)


def _model_decoder(cls: Type["KratyModel"]) -> Decoder:
    """The generated decoder of ``cls``, compiled on first use (see ``_codegen``)."""
    cached = _decoders.get(cls)
    if cached is not None:
        return cached
    with _decoders_lock:
        cached = _decoders.get(cls)
        if cached is None:
            cached = compile_model_decoder(
                cls, model_fields(cls), is_model=_is_model, resolve=_model_decoder
            )
            _decoders[cls] = cached
    return cached
