"""Outside parties: the people outside the account who call and text it (customers, prospects,
suppliers) and whom its users call and text. The traffic generator and the `demo` seed pick
from them.

They come from `--outside-parties FILE` (a JSON list of `{"name", "number"}`, e.g. the CRM's
demo contacts, so the callers are people the app knows) or, without it, from a deterministic
built-in list. Numbers are taken in any format the messaging parser reads and kept in E.164;
the account's own numbers are never outside parties.
"""

import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.core.media import png_image
from sandbox.messages import api as messages
from sandbox.messages.numbers import parse_number

if TYPE_CHECKING:
    from sandbox.account.models import Account
    from sandbox.platform import World

MAX_PARTIES = 10_000
MAX_NAME = 128


@dataclass(frozen=True)
class OutsideParty:
    name: str | None
    number: str  # E.164

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "number": self.number}


class PartiesError(ValueError):
    """A list of outside parties that cannot be used (names the first bad entry)."""


def parse_parties(data: Any, *, source: str = "outside parties") -> list[OutsideParty]:
    """Validate a JSON list of `{"name": str|null, "number": str}`; numbers become E.164 and
    repeated numbers are kept once (the first name wins). Raises PartiesError."""
    if not isinstance(data, list) or not data:
        raise PartiesError(f"{source}: expected a non-empty JSON list of {{name, number}}")
    if len(data) > MAX_PARTIES:
        raise PartiesError(f"{source}: at most {MAX_PARTIES} parties")
    parties: dict[str, OutsideParty] = {}
    for index, entry in enumerate(data):
        where = f"{source}[{index}]"
        if not isinstance(entry, dict) or set(entry) - {"name", "number"}:
            raise PartiesError(f"{where}: expected an object with name and number only")
        name, raw = entry.get("name"), entry.get("number")
        if name is not None and (not isinstance(name, str) or len(name) > MAX_NAME):
            raise PartiesError(f"{where}: name must be a string of at most {MAX_NAME} characters")
        if not isinstance(raw, str):
            raise PartiesError(f"{where}: number is required")
        e164 = parse_number(raw).e164
        if e164 is None:
            raise PartiesError(f"{where}: {raw!r} is not a phone number")
        parties.setdefault(e164, OutsideParty((name or "").strip() or None, e164))
    return list(parties.values())


def load_parties(path: str) -> list[OutsideParty]:
    """Read `--outside-parties FILE`. Raises PartiesError with the file's name."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as error:
        raise PartiesError(f"cannot read outside parties {path}: {error.strerror}") from None
    except ValueError:
        raise PartiesError(f"outside parties {path} is not JSON") from None
    return parse_parties(data, source=path)


def outside_only(parties: list[OutsideParty], account: "Account") -> list[OutsideParty]:
    """Drop the account's own numbers (a call "from" them would be one of its users)."""
    own = {n.phone_number for n in account.phone_numbers}
    return [p for p in parties if p.number not in own]


def text_from(
    world: "World", party: OutsideParty, *, to_number: str, text: str, **options: Any
) -> messages.Message:
    """`party` texts one of the account's numbers (`options`: attachments, at, read)."""
    return messages.receive_sms(
        world,
        to_number=to_number,
        from_number=party.number,
        from_name=party.name,
        text=text,
        **options,
    )


def photo_upload(seed: int) -> messages.Upload:
    """A small photo an outside party sends by MMS (a real PNG, different per seed)."""
    return messages.Upload(png_image(96, 72, seed=seed), "image/png", "photo.png")


_FIRST = [
    "Jane",
    "Harper",
    "Omar",
    "Lena",
    "Marcus",
    "Priya",
    "Tomás",
    "Grace",
    "Kwame",
    "Hiro",
    "Elena",
    "Noah",
    "Aisha",
    "Victor",
    "Mei",
    "Daniel",
    "Fatima",
    "Lucas",
    "Ingrid",
    "Samuel",
    "Chloe",
    "Arjun",
    "Nora",
    "Felix",
    "Zara",
    "Oliver",
    "Ruth",
    "Mateo",
    "Ivy",
    "Leon",
]
_LAST = [
    "Roe",
    "Bennett",
    "Haddad",
    "Novak",
    "Reyes",
    "Shah",
    "Alvarez",
    "Kim",
    "Mensah",
    "Tanaka",
    "Petrova",
    "Fischer",
    "Okoro",
    "Lambert",
    "Wu",
    "Sullivan",
    "Rahman",
    "Moreau",
    "Lindqvist",
    "Osei",
    "Dubois",
    "Iyer",
    "Castillo",
    "Brandt",
    "Malik",
    "Hughes",
    "Cohen",
]
_AREAS = ("212", "312", "415", "617", "206", "512", "303", "404", "702", "305", "213", "503")


def _built_in() -> list[OutsideParty]:
    rng = random.Random("callboard-outside-parties")  # noqa: S311 - fixed demo data
    parties: dict[str, OutsideParty] = {}
    while len(parties) < 48:
        name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        if rng.random() < 0.1:
            number = f"+4420794600{rng.randrange(10, 100)}"  # Ofcom's drama range
        else:
            number = f"+1{rng.choice(_AREAS)}5550{rng.randrange(100, 200)}"  # fictional 555-01xx
        parties.setdefault(number, OutsideParty(name, number))
    return list(parties.values())


BUILT_IN: tuple[OutsideParty, ...] = tuple(_built_in())
