"""Reading a follow-up message in a conversation (pure): English and 中文.

A message said while options are shown, a question is open or an approval is pending is read
here first; what is not a follow-up (``FollowUpKind.OTHER``) is a new request for the intent
parser, or the answer to an open question. The reading depends only on the text and on the
category of the item in focus (which says what "large" means: a drink's ``large``, a shirt's
``L``); the conversation decides what a reading does in its state.

    help          "help", "what can I say", "帮助", "怎么用"
    cancel        "cancel", "no", "never mind", "取消", "算了"
    yes           "yes", "ok", "go ahead", "确认", "好的"
    select        "the second one", "第二个", "last one", "#2", "2", "select it", "选它",
                  "the cheapest one", "the closest one", "最快的"          (index or pick)
    compare       "compare the first two", "compare 1 and 3", "比较一下前两个"  (indices)
    refine        "make it large", "大杯", "in white please", "size M", "cheaper", "便宜点",
                  "faster delivery", "快一点", "from another shop", "换一家",
                  "not that brand", "不要这个牌子"                          (a Refinement)
    again         "again", "one more", "再来一杯"
    orders        "my orders", "show my orders", "我的订单"
    order-status  "what is the status of my order", "where is my order", "订单状态"
    delegations   "my delegations", "my standing orders", "我的授权"
    revoke        "revoke", "revoke the standing order", "撤销授权", "revoke dlg_..."
    other         anything else ("a hat or sunglasses", "a black t-shirt size M")

Rules kept: a message that names an item of the lexicon is a new request, not a refinement
("a white t-shirt" searches again from scratch; "in white please" changes the one shown);
a comparative ("cheaper", "更便宜") refines, a superlative ("the cheapest one", "最便宜的")
picks among what is shown; "cancel"/"取消" alone cancels, "cancel the standing order" revokes.

>>> read_followup("make it large", category="drinks/milk-tea").refinement.attributes
(('size', 'large'),)
>>> read_followup("第二个").index
1
>>> read_followup("compare the first two").indices
(0, 1)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from trustcart.assistant.intent_words import attributes_in, find_items

_CJK = re.compile(r"[\u3400-\u9fff]")


class FollowUpKind(StrEnum):
    HELP = "help"
    CANCEL = "cancel"
    YES = "yes"
    SELECT = "select"
    COMPARE = "compare"
    REFINE = "refine"
    AGAIN = "again"
    ORDERS = "orders"
    ORDER_STATUS = "order-status"
    DELEGATIONS = "delegations"
    REVOKE = "revoke"
    OTHER = "other"


class Pick(StrEnum):
    """A selection by a property of the options shown, not by position."""

    CHEAPEST = "cheapest"
    CLOSEST = "closest"
    FASTEST = "fastest"


@dataclass(frozen=True)
class Refinement:
    """What a follow-up asks to change about the item in focus."""

    attributes: tuple[tuple[str, str], ...] = ()
    cheaper: bool = False
    faster: bool = False
    other_merchant: bool = False
    other_brand: bool = False

    def __post_init__(self) -> None:
        if not (
            self.attributes
            or self.cheaper
            or self.faster
            or self.other_merchant
            or self.other_brand
        ):
            raise ValueError("a refinement changes something")


@dataclass(frozen=True)
class FollowUp:
    kind: FollowUpKind
    language: str
    index: int | None = None  # select: 0-based, -1 the last; None: the option in focus
    pick: Pick | None = None  # select by property
    indices: tuple[int, ...] = ()  # compare: 0-based, () for every option shown
    refinement: Refinement | None = None
    target: str | None = None  # revoke: the delegation named, if any


_END = r"[\s.!?。！？~]*$"
_HELP = re.compile(
    r"^\s*(?:help|h|\?|what can (?:i|you) (?:say|do)|how does (?:this|it) work|commands|"
    r"帮助|帮帮我|怎么用|你能做什么|能做什么|可以说什么|说明|使用说明)" + _END,
    re.I,
)
_CANCEL = re.compile(
    r"^\s*(?:n|no|nope|nah|no,? thanks?|cancel|stop|never ?mind|forget it|不|不要|不要了|不用了|"
    r"取消|算了|不买了)" + _END,
    re.I,
)
_YES = re.compile(
    r"^\s*(?:y|yes|yep|yeah|ok|okay|sure|approve|approved|confirm|go ahead|do it|pay|"
    r"确认|确定|好|好的|好吧|是|是的|对|可以|可以的|同意|买吧|付款|行|行吧|没问题)"
    r"(?:\s*[,，]?\s*(?:please|pay|pay it|pay now|go ahead|do it|付款|买吧))?" + _END,
    re.I,
)
_REVOKE = re.compile(
    r"\brevoke\b|\bcancel (?:the|my) (?:standing order|authori[sz]ation|delegation|credential)s?|"
    r"\bstop (?:the|my) standing order|\bend (?:the|my) standing order|"
    r"撤销|撤回授权|取消授权|取消委托|取消长期委托|停止委托|收回授权",
    re.I,
)
_DELEGATION_ID = re.compile(r"\bdlg_[a-z0-9]{8,40}\b")
_ORDER_STATUS = re.compile(
    r"status of (?:my|the) (?:last |latest )?order|where(?:'s| is) my order|track my order|"
    r"order status|has my order|订单状态|订单.{0,4}(?:到哪|状态|怎么样)|到哪了|送到了吗",
    re.I,
)
_ORDERS = re.compile(
    r"\bmy orders\b|\bmy purchases\b|order history|what did i (?:buy|order)|list (?:my )?orders|"
    r"show (?:me )?(?:my |the )?orders|我的订单|订单记录|历史订单|订单列表|买过什么|买了什么",
    re.I,
)
_DELEGATIONS = re.compile(
    r"\bmy (?:delegations|authori[sz]ations|standing orders|credentials|budgets?)\b|"
    r"(?:show|list) (?:me )?(?:my )?(?:delegations|authori[sz]ations|standing orders)|"
    r"我的授权|我的委托|授权列表|委托列表|我的长期委托|剩余预算|还剩多少",
    re.I,
)
_COMPARE = re.compile(
    r"\bcompare\b|side by side|\bwhich (?:one |of them )?is (?:cheaper|faster|quicker|closer|"
    r"better)\b|比较|对比|比一比|比一下|哪个(?:更)?(?:便宜|快|近|好)",
    re.I,
)
_AGAIN = re.compile(r"\bagain\b|another one|one more|order another|再来|再买|再点", re.I)
_CHEAPER = re.compile(
    r"\bcheaper\b|less expensive|lower price|\bcheaper\b|更便宜|便宜点|便宜一点|便宜些|再便宜|"
    r"便宜一些",
    re.I,
)
_FASTER = re.compile(
    r"\bfaster\b|\bquicker\b|\bsooner\b|deliver(?:ed|y)? (?:more )?quickly|快一点|快点|更快|"
    r"快些|送得快|早点到",
    re.I,
)
_OTHER_SHOP = re.compile(
    r"(?:another|a different|other|some other|a second) (?:shop|store|merchant|seller|vendor)|"
    r"\belsewhere\b|somewhere else|not (?:from )?(?:this|that) (?:shop|store|merchant)|"
    r"换一家|换家|换个店|换一个店|别家|别的店|其他店|其他商家|另一家|别的商家|不要这家|"
    r"不要这个店",
    re.I,
)
_OTHER_BRAND = re.compile(
    r"not (?:that|this) brand|(?:another|a different|different|other) brand|"
    r"other than (?:that|this) brand|no (?:that|this) brand|"
    r"不要这个牌子|不要这个品牌|换个牌子|换个品牌|别的牌子|其他牌子|其他品牌|别的品牌|换一个牌子",
    re.I,
)
_BIGGER = re.compile(r"\bbigger\b|\blarger\b|大一点|大点|大一些|更大", re.I)
_PICKS = (
    (
        re.compile(
            r"\bcheapest\b|\bthe cheap one\b|lowest price|最便宜|便宜的那个|便宜的那款", re.I
        ),
        Pick.CHEAPEST,
    ),
    (
        re.compile(r"\bclosest\b|\bnearest\b|最近的|离我最近|离我近的|最近那", re.I),
        Pick.CLOSEST,
    ),
    (re.compile(r"\bfastest\b|\bquickest\b|最快", re.I), Pick.FASTEST),
)
_ENGLISH_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
}
_WORDS = ("one", "two", "three", "four", "five")
_CHINESE_NUMBERS = {"一": 0, "二": 1, "两": 1, "三": 2, "四": 3, "五": 4}
_ORDINAL = re.compile(
    r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last)\b|"
    r"(?:\b(?:number|no\.?|option|#)\s*|#)([1-9]|one|two|three|four|five)\b|"
    r"第\s*([一二两三四五1-9])\s*(?:个|款|家|种|项|杯|件)?|"
    r"最后(?:一个|那个|一款|一家)?|"
    r"(?<![\d.])([1-9])\s*号",
    re.I,
)
_BARE_NUMBER = re.compile(r"^\s*#?([1-9])" + _END)
_FIRST_N = re.compile(r"\bfirst (two|three|2|3)\b|前\s*([两二三23])\s*(?:个|款|家|项)?", re.I)
_THIS_ONE = re.compile(
    r"\b(?:select|pick|choose|take|buy|want) (?:it|this|that)\b|\bthat one\b|\bthis one\b|"
    r"^(?:yes,? )?(?:this|that|it)"
    + _END
    + r"|选它|就它|就这个|就那个|要这个|要那个|这个吧|那个吧|"
    r"^这个" + _END + r"|^那个" + _END,
    re.I,
)
_DIGIT = re.compile(r"(?<![\d.])([1-9])(?![\d.])")


def language_of(text: str, default: str = "en") -> str:
    """``zh`` for a message with Chinese characters, ``en`` for one with Latin letters."""
    if _CJK.search(text):
        return "zh"
    if re.search(r"[A-Za-z]", text):
        return "en"
    return default


def ordinals_in(text: str) -> list[int]:
    """The positions named in ``text`` (0-based, -1 the last), in the order written."""
    found: list[int] = []
    for match in _ORDINAL.finditer(text):
        word, number, chinese, numbered = match.groups()
        if word:
            found.append(_ENGLISH_ORDINALS[word.lower()])
        elif number or numbered:
            written = (number or numbered).lower()
            found.append(int(written) - 1 if written.isdigit() else _WORDS.index(written))
        elif chinese:
            found.append(
                _CHINESE_NUMBERS.get(chinese, int(chinese) - 1 if chinese.isdigit() else 0)
            )
        else:
            found.append(-1)  # 最后
    return found


def _compare_indices(text: str) -> tuple[int, ...]:
    first = _FIRST_N.search(text)
    if first:
        count = {"two": 2, "2": 2, "两": 2, "二": 2, "three": 3, "3": 3, "三": 3}
        word = (first.group(1) or first.group(2)).lower()
        return tuple(range(count[word]))
    named = ordinals_in(text) or [int(d) - 1 for d in _DIGIT.findall(text)]
    return tuple(dict.fromkeys(named))


def _refinement(lowered: str, original: str, category: str | None) -> Refinement | None:
    attributes = attributes_in(lowered, original, category) if category else ()
    if category and category.startswith("drinks") and not attributes and _BIGGER.search(lowered):
        attributes = (("size", "large"),)  # a drink comes in medium and large
    flags = {
        "cheaper": bool(_CHEAPER.search(lowered)),
        "faster": bool(_FASTER.search(lowered)),
        "other_merchant": bool(_OTHER_SHOP.search(lowered)),
        "other_brand": bool(_OTHER_BRAND.search(lowered)),
    }
    if not attributes and not any(flags.values()):
        return None
    return Refinement(attributes, **flags)


def read_followup(text: str, *, category: str | None = None, language: str = "en") -> FollowUp:
    """Read one message as a follow-up (see the module docstring); never raises."""
    original = unicodedata.normalize("NFKC", text).strip()
    lowered = original.lower()
    if len(lowered) != len(original):
        original = lowered  # offsets must agree for the size reader; case is then not used
    language = language_of(original, language)

    def reading(
        kind: FollowUpKind,
        *,
        index: int | None = None,
        pick: Pick | None = None,
        indices: tuple[int, ...] = (),
        refinement: Refinement | None = None,
        target: str | None = None,
    ) -> FollowUp:
        return FollowUp(kind, language, index, pick, indices, refinement, target)

    if not lowered:
        return reading(FollowUpKind.OTHER)
    if _HELP.match(lowered):
        return reading(FollowUpKind.HELP)
    if _REVOKE.search(lowered):
        target = _DELEGATION_ID.search(lowered)
        return reading(FollowUpKind.REVOKE, target=target.group(0) if target else None)
    if _CANCEL.match(lowered):
        return reading(FollowUpKind.CANCEL)
    if _YES.match(lowered):
        return reading(FollowUpKind.YES)
    if _ORDER_STATUS.search(lowered):
        return reading(FollowUpKind.ORDER_STATUS)
    if _ORDERS.search(lowered):
        return reading(FollowUpKind.ORDERS)
    if _DELEGATIONS.search(lowered):
        return reading(FollowUpKind.DELEGATIONS)
    if _COMPARE.search(lowered):
        return reading(FollowUpKind.COMPARE, indices=_compare_indices(lowered))
    if _AGAIN.search(lowered):
        return reading(FollowUpKind.AGAIN)
    if find_items(lowered):
        return reading(FollowUpKind.OTHER)  # names an item: a new request
    refinement = _refinement(lowered, original, category)
    if refinement is not None:
        return reading(FollowUpKind.REFINE, refinement=refinement)
    for pattern, pick in _PICKS:
        if pattern.search(lowered):
            return reading(FollowUpKind.SELECT, pick=pick)
    bare = _BARE_NUMBER.match(lowered)
    if bare:
        return reading(FollowUpKind.SELECT, index=int(bare.group(1)) - 1)
    positions = ordinals_in(lowered)
    if positions:
        return reading(FollowUpKind.SELECT, index=positions[0])
    if _THIS_ONE.search(lowered):
        return reading(FollowUpKind.SELECT)
    return reading(FollowUpKind.OTHER)
