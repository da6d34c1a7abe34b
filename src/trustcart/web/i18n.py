"""Languages of the web app: English and Chinese, from the person's choice or the browser's.

Pure. ``negotiate`` reads an ``Accept-Language`` header (RFC 9110 §12.5.4: ranges with
``q`` weights, ``*``, case-insensitive) and picks the best supported language; a language the
person chose in the page (kept in the session) wins over the header. Messages come from the
small catalog in ``messages``: ``Translator(lang)("key", name=...)`` formats one, and a key
missing from the catalog is an error at test time (``tests/web/test_i18n.py`` checks both
languages have the same keys), never an English fallback shown to a Chinese reader.

>>> negotiate("zh-CN,zh;q=0.9,en;q=0.8")
'zh'
>>> negotiate("fr-FR, en;q=0.5")
'en'
>>> negotiate("en;q=0, zh-TW;q=0.1")
'zh'
>>> Translator("zh")("nav.console")
'商家后台'
"""

from __future__ import annotations

from dataclasses import dataclass

from trustcart.web.messages import MESSAGES

LANGUAGES = ("en", "zh")
DEFAULT_LANGUAGE = "en"
HTML_LANG = {"en": "en", "zh": "zh-CN"}
LANGUAGE_NAMES = {"en": "English", "zh": "中文"}


def _weight(parameter: str) -> float:
    name, _, value = parameter.partition("=")
    if name.strip().lower() != "q":
        return 1.0
    try:
        weight = float(value.strip())
    except ValueError:
        return 0.0
    return weight if 0.0 <= weight <= 1.0 else 0.0


def negotiate(accept_language: str | None, supported: tuple[str, ...] = LANGUAGES) -> str:
    """The supported language the header prefers (primary subtag match), else the default."""
    best, best_weight = DEFAULT_LANGUAGE, 0.0
    for position, item in enumerate((accept_language or "")[:1000].split(",")[:50]):
        tag, *parameters = item.strip().split(";")
        primary = tag.strip().lower().split("-")[0]
        weight = min((_weight(p) for p in parameters), default=1.0)
        candidate = supported[0] if primary == "*" else primary
        # Earlier ranges win ties: subtract a tiny amount per position.
        score = weight - position * 1e-6
        if candidate in supported and weight > 0 and score > best_weight:
            best, best_weight = candidate, score
    return best


def choose_language(chosen: object, accept_language: str | None) -> str:
    """The person's choice when it is a supported language, else the browser's preference."""
    return chosen if isinstance(chosen, str) and chosen in LANGUAGES else negotiate(accept_language)


@dataclass(frozen=True)
class Translator:
    """Messages in one language; call it with a key and the values to format in."""

    lang: str

    def __post_init__(self) -> None:
        if self.lang not in LANGUAGES:
            raise ValueError(f"unsupported language {self.lang!r}")

    def __call__(self, key: str, **values: object) -> str:
        text = MESSAGES[self.lang][key]
        return text.format(**values) if values else text

    @property
    def html_lang(self) -> str:
        return HTML_LANG[self.lang]
