"""What the assistant says, in the person's language (English or 中文), turn by turn.

Every sentence the conversation speaks comes from ``TEXTS`` (key -> English, Chinese) through
``say``; lists (options compared, orders, delegations) are formatted here too. Titles are the
shop's Chinese title (``title_zh``) in a Chinese turn when the shop has one. The language of a
turn is the language of the message it answers (``followups.language_of``), so a person may
switch between turns. A pending question or approval always says how to get out ("cancel" /
"取消").

>>> say("cancelled", "zh")
'已取消，没有购买任何东西。'
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from trustcart.assistant.offers import Offer
from trustcart.assistant.planner import Option
from trustcart.assistant.standing_report import recurrence_line
from trustcart.core.money import Money

TEXTS: dict[str, tuple[str, str]] = {
    "empty": ("Tell me what you would like to buy.", "请告诉我您想买什么。"),
    "cancelled": ("Cancelled; nothing was bought.", "已取消，没有购买任何东西。"),
    "nothing-to-cancel": (
        "There is nothing to cancel. Tell me what you would like to buy.",
        "现在没有可以取消的事情。请告诉我您想买什么。",
    ),
    "cancel-hint": (" (Or say 'cancel'.)", "（或者说“取消”。）"),
    "options": (
        "{count} option(s). Say 'the first one' or 'the second one' to choose, 'compare the "
        "first two', or change the search: 'cheaper', 'faster delivery', 'from another shop', "
        "a size or a colour ('help' for more).",
        "找到{count}个选项。可以说“第一个”“第二个”或“比较一下前两个”；说“便宜点”“快一点”"
        "“换一家”或尺码、颜色来调整；说“帮助”查看更多。",
    ),
    "refined": ("With '{change}': ", "按“{change}”调整后："),
    "approve": (
        "Pay {total} for {lines}? (yes/no: yes pays, no or 'cancel' stops)",
        "为{lines}支付{total}？（说“确认”付款，说“取消”放弃）",
    ),
    "approve-standing": (
        "You chose {lines} for {total}. Authorize this standing order ({request!r}) so I can "
        "buy within it without asking? (yes/no: yes signs it, no or 'cancel' stops)",
        "您选择了{lines}，共{total}。授权这个长期委托（“{request}”），以后在限额内无需再问？"
        "说“确认”签署，说“取消”放弃。",
    ),
    "yes-or-no": (
        "Please say yes to pay, or no to cancel.",
        "请说“确认”付款，或说“取消”放弃。",
    ),
    "nothing-to-approve": (
        "There is nothing to approve yet: pick an option first ('the first one').",
        "现在没有需要确认的购买：请先选择一个选项（比如“第一个”）。",
    ),
    "no-such-option": (
        "There are only {count} option(s): say a number from 1 to {count}.",
        "只有{count}个选项：请说1到{count}之间的序号。",
    ),
    "paid": (
        "Paid {total}; order(s) {orders}. Say 'my orders' to see your orders.",
        "已支付{total}；订单号{orders}。说“我的订单”可以查看。",
    ),
    "not-paid": ("I did not pay: {why}.", "没有付款：{why}。"),
    "not-authorized": ("Not authorized: {why}.", "未获授权：{why}。"),
    "marketplace-refused": ("The marketplace refused: {why}.", "商城拒绝了请求：{why}。"),
    "nothing-fits": ("{why}", "{why}"),
    "refine-failed": (
        "With that change nothing fits. {why} The options shown before are still there.",
        "这样调整后没有合适的商品。{why}之前的选项仍然可以选。",
    ),
    "nothing-cheaper": (
        "Nothing cheaper than {total} fits what you asked; the options shown are still there.",
        "没有比{total}更便宜且符合要求的商品；之前的选项仍然可以选。",
    ),
    "nothing-faster": (
        "No shop delivers it faster than {minutes} min within what you asked; the options "
        "shown are still there.",
        "在您的要求内，没有比{minutes}分钟更快送达的；之前的选项仍然可以选。",
    ),
    "cannot-refine-brand": (
        "I do not know the brand of {title}, so I cannot leave it out.",
        "我不知道{title}的品牌，所以无法排除它。",
    ),
    "cannot-refine-merchant": (
        "That option comes from several shops; say which one to leave out.",
        "这个选项来自多家店，请说明要排除哪一家。",
    ),
    "cannot-refine": (
        "I cannot change that for {item}; say what you would like instead.",
        "{item}无法这样调整；请告诉我您想要什么。",
    ),
    "compare-head": ("Side by side:", "对比如下："),
    "compare-line": (
        "{number}. {title} at {merchant}: {unit} each{coupon}, {total} delivered, {minutes} min",
        "{number}. {merchant}的{title}：单价{unit}{coupon}，到手价{total}，{minutes}分钟送达",
    ),
    "compare-coupon": (", coupon {coupon}", "，优惠券{coupon}"),
    "compare-cheapest": (
        "Option {number} has the lowest delivered total.",
        "选项{number}的到手价最低。",
    ),
    "compare-fastest": ("Option {number} arrives first.", "选项{number}送达最快。"),
    "compare-nothing": (
        "Nothing is shown yet to compare: tell me what you are looking for.",
        "现在没有可比较的选项：请告诉我您想找什么。",
    ),
    "no-orders": ("You have no orders yet.", "您还没有订单。"),
    "orders-head": ("Your orders ({count}):", "您的订单（共{count}个）："),
    "order-line": (
        "{order}: {items} from {merchant}, {amount}, {status}, paid {paid_at} ({mode})",
        "{order}：{merchant}的{items}，{amount}，状态{status}，付款时间{paid_at}（{mode}）",
    ),
    "order-status": (
        "Your last order {order} ({items}, {merchant}) is {status}.",
        "您最近的订单{order}（{merchant}的{items}）状态是{status}。",
    ),
    "no-delegations": ("You have not signed any authorization yet.", "您还没有签署任何授权。"),
    "delegations-head": ("Your authorizations ({count}):", "您的授权（共{count}项）："),
    "delegation-line": (
        "{delegation}: {kind} for {intent!r}, {spent} spent, {remaining} left of {total}, "
        "{status}, valid until {until}",
        "{delegation}：{kind}“{intent}”，已花{spent}，剩余{remaining}（总额{total}），"
        "状态{status}，有效期至{until}",
    ),
    "kind-BOUNDED": ("standing order", "长期委托"),
    "kind-SPECIFIED": ("one purchase", "单次购买"),
    "revoked": (
        "Revoked {delegation} ({intent!r}); nothing more can be paid under it.",
        "已撤销{delegation}（“{intent}”），此后无法再用它付款。",
    ),
    "nothing-to-revoke": (
        "You have no active standing order to revoke.",
        "您没有可以撤销的有效长期委托。",
    ),
    "revoke-failed": ("I could not revoke it: {why}.", "撤销失败：{why}。"),
    "again-nothing": (
        "There is no standing order to buy again; what should I look for?",
        "没有可以再次购买的长期委托；您想找什么？",
    ),
}

HELP: dict[str, tuple[str, ...]] = {
    "en": (
        "You can say:",
        "- what to buy: 'a pearl milk tea under 30', 'two black t-shirts size M', "
        "'up to 3 milk teas this week, 80 in total' (a standing order)",
        "- with options shown: 'the second one', 'last one', 'the cheapest one', "
        "'compare the first two'",
        "- to change the search: 'make it large', 'in white', 'size M', 'cheaper', "
        "'faster delivery', 'from another shop', 'not that brand'",
        "- to pay: 'yes'; to stop: 'no' or 'cancel'",
        "- your records: 'my orders', 'what is the status of my order', 'my delegations', "
        "'revoke the standing order'",
    ),
    "zh": (
        "您可以说：",
        "- 想买什么：“一杯30元以内的珍珠奶茶”“两件M码的黑色T恤”"
        "“本周最多3杯奶茶，总共80元”（长期委托）",
        "- 有选项时：“第二个”“最后一个”“最便宜的”“比较一下前两个”",
        "- 调整搜索：“大杯”“白色的”“M码”“便宜点”“快一点”“换一家”“不要这个牌子”",
        "- 付款：“确认”；放弃：“取消”",
        "- 查看记录：“我的订单”“订单状态”“我的授权”“撤销授权”",
    ),
}


def money_text(money: Money, language: str) -> str:
    """ "13.00 CNY" in English, "13.00元" in Chinese (other currencies keep their code)."""
    if language == "zh" and money.currency == "CNY":
        return f"{money.amount_str()}元"
    return str(money)


def say(key: str, language: str, **values: object) -> str:
    """The sentence ``key`` in ``language`` with ``values`` filled in (money as it is said)."""
    english, chinese = TEXTS[key]
    shown = {k: money_text(v, language) if isinstance(v, Money) else v for k, v in values.items()}
    return (chinese if language == "zh" else english).format(**shown)


# The planner's reasons, said in Chinese (applied in order; what is not matched stays as is).
_REASONS_ZH = (
    (re.compile(r"^runner-up: "), "备选："),
    (re.compile(r"lowest total after coupons"), "券后总价最低"),
    (re.compile(r"the lowest total for each item"), "每件商品总价最低"),
    (re.compile(r"alternatives for each item"), "每件商品的备选"),
    (re.compile(r"everything from (.+)$"), r"全部来自\1"),
    (re.compile(r"closest shop \(([\d.]+) km\)"), r"距离最近（\1公里）"),
    (re.compile(r"fastest delivery \((\d+) min\)"), r"送达最快（\1分钟）"),
    (re.compile(r"closer \(([\d.]+) km\)"), r"更近（\1公里）"),
    (re.compile(r"faster delivery \((\d+) min\)"), r"送达更快（\1分钟）"),
    (re.compile(r"([\d.]+) CNY more"), r"贵\1元"),
    (re.compile(r"same price"), "价格相同"),
    (re.compile(r"coupon: "), "优惠券："),
    (re.compile(r" at (.+)$"), r"（\1）"),
    (re.compile(r"; "), "；"),
)


def reason_in(reason: str, language: str) -> str:
    """An option's reason in the person's language."""
    if language != "zh":
        return reason
    for pattern, replacement in _REASONS_ZH:
        reason = pattern.sub(replacement, reason)
    return reason


def help_text(language: str) -> str:
    return "\n".join(HELP["zh" if language == "zh" else "en"])


def lines_text(lines: Sequence[Offer], language: str) -> str:
    """ "1 x Pearl Milk Tea (Leaf & Cup 叶与杯)" / "1 x 珍珠奶茶（Leaf & Cup 叶与杯）"."""
    if language == "zh":
        return "、".join(f"{o.quantity}份{o.title_in('zh')}（{o.merchant_name}）" for o in lines)
    return ", ".join(f"{o.quantity} x {o.title} ({o.merchant_name})" for o in lines)


def comparison(options: Sequence[tuple[int, Option]], language: str) -> tuple[str, list[Any]]:
    """A side-by-side of the numbered options: the text and its JSON rows."""
    rows: list[dict[str, Any]] = []
    text = [say("compare-head", language)]
    for number, option in options:
        for line in option.lines:
            coupon = (
                say("compare-coupon", language, coupon=", ".join(line.coupons))
                if line.coupons
                else ""
            )
            text.append(
                say(
                    "compare-line",
                    language,
                    number=number,
                    title=line.title_in(language),
                    merchant=line.merchant_name,
                    unit=line.unit_price,
                    coupon=coupon,
                    total=line.total,
                    minutes=line.delivery_minutes,
                )
            )
        rows.append(
            {
                "option": number,
                "items": [line.to_json(language) for line in option.lines],
                "total": option.total.to_json(),
                "delivery_minutes": max(line.delivery_minutes for line in option.lines),
                "merchants": list(option.merchants),
            }
        )
    if len(options) > 1:
        cheapest = min(options, key=lambda pair: (pair[1].total.minor, pair[0]))
        fastest = min(
            options, key=lambda pair: (max(o.delivery_minutes for o in pair[1].lines), pair[0])
        )
        text.append(say("compare-cheapest", language, number=cheapest[0]))
        text.append(say("compare-fastest", language, number=fastest[0]))
    return "\n".join(text), rows


def _items_text(order: Mapping[str, Any], language: str) -> str:
    joiner = "、" if language == "zh" else ", "
    return joiner.join(f"{item['quantity']} x {item['title']}" for item in order["items"])


def orders_text(orders: Sequence[Mapping[str, Any]], language: str, *, limit: int = 10) -> str:
    if not orders:
        return say("no-orders", language)
    text = [say("orders-head", language, count=len(orders))]
    for order in orders[-limit:]:
        amount = order["amount"]
        text.append(
            say(
                "order-line",
                language,
                order=order["order_id"],
                items=_items_text(order, language),
                merchant=order["merchant_name"],
                amount=f"{amount['amount']} {amount['currency']}",
                status=order["status"],
                paid_at=order["paid_at"],
                mode=order["mode"],
            )
        )
    return "\n".join(text)


def order_status_text(orders: Sequence[Mapping[str, Any]], language: str) -> str:
    if not orders:
        return say("no-orders", language)
    order = orders[-1]
    return say(
        "order-status",
        language,
        order=order["order_id"],
        items=_items_text(order, language),
        merchant=order["merchant_name"],
        status=order["status"],
    )


def _money(value: Mapping[str, str] | None) -> str:
    return "-" if value is None else f"{value['amount']} {value['currency']}"


def delegations_text(delegations: Sequence[Mapping[str, Any]], language: str) -> str:
    if not delegations:
        return say("no-delegations", language)
    text = [say("delegations-head", language, count=len(delegations))]
    for delegation in delegations[-10:]:
        text.append(
            say(
                "delegation-line",
                language,
                delegation=delegation["delegation_id"],
                kind=say(f"kind-{delegation['mode']}", language),
                intent=delegation["intent"],
                spent=_money(delegation["spent"]),
                remaining=_money(delegation["remaining"]),
                total=_money(delegation["limits"]["max_total"]),
                status=delegation["status"],
                until=delegation["valid_until"],
            )
        )
        if delegation.get("recurrence"):  # a standing order: its period's figures
            text.append(recurrence_line(delegation["recurrence"], language))
    return "\n".join(text)


def compare_shown(
    options: Sequence[Option], indices: tuple[int, ...], language: str
) -> tuple[str, list[Any]]:
    """The side-by-side of the shown options named by ``indices`` (all when empty; -1 is the
    last), or a "no such option" sentence and no rows."""
    wanted = indices or tuple(range(len(options)))
    chosen: list[tuple[int, Option]] = []
    for index in wanted:
        position = len(options) - 1 if index == -1 else index
        if not 0 <= position < len(options):
            return say("no-such-option", language, count=len(options)), []
        chosen.append((position + 1, options[position]))
    return comparison(chosen, language)
