"""What a conversation says about standing orders, and how it reads "my standing orders" and
"stop the paper order" (English or 中文).

The reading side: ``is_listing`` ("my standing orders", "我的定期订单") and ``stop_target``
("stop the paper order", "cancel the monthly restock", "取消每月的订单", "停止打印纸的订单"),
which returns what names the order: the words (matched against the order's item and the
person's own words) and the period named ("monthly", "每月" -> ``P1M``). A stop that names
nothing ("stop the standing order") is left to the ordinary revoke follow-up (``followups``).

The speaking side: every sentence here is a (English, Chinese) pair, like ``replies.TEXTS``;
``every`` says a recurrence in words.

>>> stop_target("stop the paper order")
StopTarget(words=('paper',), period=None)
>>> stop_target("取消每月的订单")
StopTarget(words=(), period='P1M')
>>> stop_target("stop the standing order") is None
True
>>> every("P2W", "en"), every("P1M", "zh")
('every 2 weeks', '每月')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trustcart.assistant.standing import RunOutcome, StandingRun

_LISTING = re.compile(
    r"\bmy (?:standing|recurring|repeat(?:ing)?|regular|monthly|weekly) (?:orders|restocks)\b|"
    r"\b(?:show|list) (?:me )?(?:my |the )?(?:standing|recurring) orders\b|"
    r"我的(?:定期|周期|自动|每月|每周)(?:订单|补货|订购)|(?:定期|周期)订单(?:列表|有哪些)",
    re.I,
)
_STOP_EN = re.compile(
    r"\b(?:stop|cancel|end|halt|quit)\s+(?:the|my|that)\s+(.{1,60}?)\s*"
    r"(?:order|orders|restock|restocking|subscription|purchase)\b",
    re.I,
)
_STOP_ZH = re.compile(r"(?:取消|停止|停掉|终止|不要再买)(.{1,20}?)(?:的)?(?:订单|补货|订购|购买)")
_PERIOD_WORDS = {
    "P1D": ("daily", "day", "days", "每天", "每日"),
    "P1W": ("weekly", "week", "weeks", "每周", "每星期"),
    "P1M": ("monthly", "month", "months", "每月", "每个月"),
}
_NOT_NAMES = {
    "standing",
    "recurring",
    "repeat",
    "repeating",
    "regular",
    "every",
    "each",
    "the",
    "my",
    "a",
    "of",
    "for",
    "定期",
    "周期",
    "自动",
    "长期",
    "的",
}


@dataclass(frozen=True)
class StopTarget:
    """What names the standing order to stop: words of its item, and/or its period."""

    words: tuple[str, ...]
    period: str | None


def is_listing(text: str) -> bool:
    return bool(_LISTING.search(text))


def _names(named: str, word: str) -> bool:
    """``word`` is in ``named``: a whole word in English, anywhere in Chinese (no spaces)."""
    return word in named.split() if word.isascii() else word in named


def stop_target(text: str) -> StopTarget | None:
    """The order named in a request to stop one, or None (not a stop, or nothing named)."""
    lowered = text.lower()
    match = _STOP_EN.search(lowered) or _STOP_ZH.search(lowered)
    if match is None:
        return None
    named = match.group(1)
    period = next(
        (p for p, words in _PERIOD_WORDS.items() if any(_names(named, w) for w in words)), None
    )
    period_words = {w for words in _PERIOD_WORDS.values() for w in words}
    for word in period_words - {w for w in period_words if w.isascii()}:
        named = named.replace(word, " ")
    names = tuple(
        t
        for t in re.split(r"[\s,，、的]+", named)
        if t and t not in _NOT_NAMES and t not in period_words
    )
    if not names and period is None:
        return None
    return StopTarget(names, period)


def every(period: str, language: str) -> str:
    """``P1M`` -> "every month" / "每月"; ``P2W`` -> "every 2 weeks" / "每2周"."""
    match = re.fullmatch(r"P(\d+)([DWM])", period)
    if match is None:
        return period
    count, unit = int(match.group(1)), match.group(2)
    if language == "zh":
        word = {"D": "天", "W": "周", "M": "月"}[unit]
        return f"每{word}" if count == 1 else f"每{count}{'个月' if unit == 'M' else word}"
    word = {"D": "day", "W": "week", "M": "month"}[unit]
    return f"every {word}" if count == 1 else f"every {count} {word}s"


TEXTS: dict[str, tuple[str, str]] = {
    "propose": (
        "Standing order to sign: {item}, {every}, at most {cap} per period, {total} in total, "
        "until {end} UTC. {now} On yes your wallet signs one recurring delegation and I buy "
        "once per period without asking. Sign it? (yes/no)",
        "待签署的定期订单：{item}，{every}，每期最多{cap}，总共最多{total}，截止{end}（UTC）。"
        "{now}确认后您的钱包签署一份周期授权，之后每期购买一次，不再询问。要签署吗？"
        "（说“确认”签署，说“取消”放弃）",
    ),
    "now-fits": (
        "Right now it would buy {title} from {merchant} for {price}, the first period at once.",
        "现在会买{merchant}的{title}，{price}，第一期立即购买。",
    ),
    "now-above": (
        "Right now nothing is within {cap} (the cheapest is {title} for {price}); each period "
        "I look again and buy only what fits.",
        "现在没有{cap}以内的商品（最便宜的是{title}，{price}）；每期我会重新查找，只买符合上限的。",
    ),
    "now-nothing": (
        "Right now no shop in the catalog sells {item}; I can still set it up, and each period "
        "I look again and buy only what fits.",
        "目前商品目录里没有商店出售{item}；仍然可以设置，每期我会重新查找，只买符合上限的。",
    ),
    "signed": (
        "Signed: standing order {order} under delegation {delegation}. {first}",
        "已签署：定期订单{order}，授权{delegation}。{first}",
    ),
    "first-not-due": (
        "Nothing is due yet in this period.",
        "本期暂无需要购买的。",
    ),
    "declined": (
        "Nothing signed; no standing order was set up.",
        "没有签署，也没有设置定期订单。",
    ),
    "not-signed": ("Not signed: {why}.", "没有签署：{why}。"),
    "not-stopped": ("Not stopped: {why}.", "没有停止：{why}。"),
    "changed": (
        "A period boundary passed since I asked, so the terms changed:",
        "询问之后跨过了周期边界，条件有变：",
    ),
    "listed": ("Your standing orders:\n{lines}", "您的定期订单：\n{lines}"),
    "order-line": (
        "{order}: {item}, {every}, at most {cap} per period ({status}, delegation {delegation})",
        "{order}：{item}，{every}，每期最多{cap}（{status}，授权{delegation}）",
    ),
    "stopped": (
        "Stopped standing order {order} ({item}): delegation {delegation} is revoked; nothing "
        "more will be bought under it.",
        "已停止定期订单{order}（{item}）：授权{delegation}已撤销，此后不会再用它购买。",
    ),
    "stop-which": (
        "Several standing orders match; say which:\n{lines}",
        "有多个定期订单符合，请说明是哪一个：\n{lines}",
    ),
    "stop-none": (
        "No active standing order matches that. {known}",
        "没有符合的有效定期订单。{known}",
    ),
    "none-active": (
        "You have no active standing order.",
        "您没有有效的定期订单。",
    ),
    "since": ("Since we last talked: {lines}", "自上次对话以来：{lines}"),
}


def say(key: str, language: str, **values: object) -> str:
    english, chinese = TEXTS[key]
    return (chinese if language == "zh" else english).format(**values)


def run_sentence(run: StandingRun, item: str, language: str) -> str:
    """One period's run as the person reads it: bought what for how much, or why not."""
    if run.outcome is RunOutcome.PAID:
        if language == "zh":
            return f"已购买{run.title}，{run.amount}（订单{run.out_trade_no}）"
        return f"bought {run.title} for {run.amount} (order {run.out_trade_no})"
    when = f"{run.period.start:%Y-%m-%d}..{run.period.end:%Y-%m-%d}"
    if run.outcome is RunOutcome.SKIPPED:
        if language == "zh":
            return f"{item}（{when}）：本期未购买（{run.reason}）"
        return f"nothing bought for {item} in {when} ({run.reason})"
    return f"{item}（{when}）：进行中" if language == "zh" else f"{item} in {when}: running"
