"""A basket in the conversation: show the split, ask once, pay every cart on "yes".

The conversation hands a new request here first (``BasketTalk.read``): a list of items or a
dish (``basket_words``) becomes a basket; anything else goes on to the single-item path. The
reply shows each merchant's cart (its lines, the coupon applied, shipping, its delivered total),
the basket's delivered total, what it saves against buying each item alone at its cheapest,
and what no shop sells. Within the person's cap it asks ONE approval (the dialogue moves to
"approving" with the basket kept in its snapshot, so ``chat --once yes --session ...`` goes
on); over the cap it says so and asks nothing, and nothing is paid. On "yes" the wallet signs
one IAC for the basket and approves the set once, and the payment provider pays all carts or
none (``basket_shopping``). Replies are in the person's language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from trustcart.assistant.basket_shopping import BasketOffer, BasketShopper
from trustcart.assistant.basket_words import BasketRequest, read_basket
from trustcart.assistant.dialogue import DialogueState, Move, Turn
from trustcart.assistant.errors import ToolRefused
from trustcart.assistant.refusal_words import refusal_sentence
from trustcart.core.errors import ValidationError

if TYPE_CHECKING:
    from trustcart.assistant.tools import ShoppingTools

# (English, Chinese)
_WORDS: dict[str, tuple[str, str]] = {
    "dish": ("For {dish} for {servings}: ", "{servings}人份{dish}："),
    "split": (
        "the basket at the lowest delivered total, {count} shop(s):",
        "送达总价最低的组合，共{count}家店：",
    ),
    "cart": (
        "{merchant}: {lines}; {coupons}, shipping {shipping}: {total}.",
        "{merchant}：{lines}；{coupons}，运费{shipping}：{total}。",
    ),
    "no-coupon": ("no coupon", "无优惠券"),
    "coupon": ("{coupons} (-{discount})", "{coupons}（-{discount}）"),
    "total": ("Delivered total {total}.", "送达总价{total}。"),
    "saving": (
        " Buying each item alone at its cheapest would cost {separate}: this saves {saving}.",
        "每样单独买最便宜也要{separate}：这样省{saving}。",
    ),
    "no-saving": (
        " That is what buying each item alone at its cheapest costs too.",
        "与每样单独买最便宜的价格相同。",
    ),
    "unsold": (" No shop sells: {names}.", "没有商店卖：{names}。"),
    "ask": (
        " Pay all {count} cart(s), {total}, with one approval? (yes/no)",
        "用一次授权支付全部{count}个购物车，共{total}？（说“确认”付款，说“取消”放弃）",
    ),
    "over-cap": (
        " That is over your cap of {cap} by {over}: I will not pay it. Take an item out or "
        "raise the cap.",
        "超过了您的上限{cap}，多出{over}：我不会付款。请去掉一些商品或提高上限。",
    ),
    "none-sold": ("No shop sells any of it: {names}.", "没有商店卖这些：{names}。"),
    "paid": (
        "Paid {count} order(s) in one payment, {total} in total: {orders}. Say 'my orders' to "
        "see them.",
        "一次付款支付了{count}个订单，共{total}：{orders}。说“我的订单”可以查看。",
    ),
    "not-paid": ("I paid nothing: {why}.", "没有付任何款：{why}。"),
    "lost": (
        "I cannot go on with that basket; please ask for it again.",
        "无法继续这个购物篮，请重新告诉我要买什么。",
    ),
}


def words(key: str, language: str, **values: object) -> str:
    english, chinese = _WORDS[key]
    return (chinese if language == "zh" else english).format(**values)


def basket_message(offer: BasketOffer, request: BasketRequest | None, language: str) -> str:
    """The split as a sentence per merchant, the total, the saving and what nobody sells."""
    zh = language == "zh"
    separator = "、" if zh else ", "
    head = ""
    if request is not None and request.dish is not None:
        dish = request.dish_zh if zh and request.dish_zh else request.dish.replace("-", " ")
        head = words("dish", language, dish=dish, servings=request.servings)
    unsold = words("unsold", language, names=separator.join(offer.unsold)) if offer.unsold else ""
    plan = offer.plan
    if plan is None:
        return head + words("none-sold", language, names=separator.join(offer.unsold))
    titles = {item.title: item.title_zh for item in offer.found if item.title_zh}
    parts = [head + words("split", language, count=len(plan.carts))]
    for cart in plan.carts:
        lines = separator.join(
            f"{line.quantity} x {titles.get(title, title) if zh else title}"
            for line, title in zip(cart.lines, cart.titles, strict=True)
        )
        coupons = (
            words("coupon", language, coupons=separator.join(cart.coupons), discount=cart.discount)
            if cart.coupons
            else words("no-coupon", language)
        )
        parts.append(
            words(
                "cart",
                language,
                merchant=cart.merchant_name,
                lines=lines,
                coupons=coupons,
                shipping=cart.shipping,
                total=cart.total,
            )
        )
    space = "" if zh else " "
    message = space.join(parts) + space + words("total", language, total=plan.total)
    if offer.saving is not None and offer.separate_total is not None and offer.saving.minor > 0:
        message += words("saving", language, separate=offer.separate_total, saving=offer.saving)
    elif offer.saving is not None:
        message += words("no-saving", language)
    message += unsold
    if offer.within_cap:
        return message + words("ask", language, count=len(plan.carts), total=plan.total)
    assert offer.max_total is not None  # within_cap holds without a cap
    over = plan.total - offer.max_total
    return message + words("over-cap", language, cap=offer.max_total, over=over)


class BasketTalk:
    """The conversation's basket turns, over ``tools`` and the conversation's ``dialogue``."""

    def __init__(self, tools: ShoppingTools, dialogue: DialogueState, session_id: str) -> None:
        self.tools = tools
        self.dialogue = dialogue
        self.session_id = session_id
        self._shopper: BasketShopper | None = None

    @property
    def shopper(self) -> BasketShopper:
        if self._shopper is None:
            self._shopper = BasketShopper(self.tools)
        return self._shopper

    def read(self, text: str) -> BasketRequest | None:
        """``text`` as a basket request, or None (a single item, a standing order...).

        None too when the person's wallet cannot approve a set of carts at once (the web's
        browser wallet signs one cart at a time): the request then goes the single-item way.
        """
        if not getattr(getattr(self.tools, "wallet", None), "approves_baskets", False):
            return None
        return read_basket(
            text, words=self.tools.catalog_words(), merchants=self.tools.merchant_names()
        )

    def _turn(self, message: str, language: str, **values: Any) -> Turn:
        turn = Turn(message, language=language, session_id=self.session_id)
        for name, value in values.items():
            setattr(turn, name, value)
        return turn

    def show(self, request: BasketRequest, language: str) -> Turn:
        """Plan the basket and show it; within the cap, wait for the person's one yes."""
        offer = self.shopper.offer(request)
        message = basket_message(offer, request, language)
        if not offer.within_cap:
            self.dialogue.move(Move.NOTHING)
            return self._turn(message, language, basket=offer.to_json())
        self.dialogue.move(Move.SHOW)
        self.dialogue.move(Move.PROPOSE)
        self.dialogue.basket = offer.to_json()
        return self._turn(message, language, basket={**offer.to_json(), "awaiting_approval": True})

    def pay(self, language: str) -> Turn:
        """The person said yes: pay the kept basket (all carts or none)."""
        kept = self.dialogue.basket
        self.dialogue.move(Move.SETTLE)
        self.dialogue.basket = None
        try:
            offer = BasketOffer.from_json(kept or {})
        except ValidationError:
            return self._turn(words("lost", language), language)
        try:
            purchases = self.shopper.pay(offer)
        except ToolRefused as refusal:
            why = refusal_sentence(refusal.code, refusal.reasons, language)
            return self._turn(
                words("not-paid", language, why=why),
                language,
                refusal=refusal,
                basket={**offer.to_json(), "orders": []},
            )
        orders = [purchase.to_json() for purchase in purchases]
        assert offer.plan is not None  # pay refuses a basket without a plan
        message = words(
            "paid",
            language,
            count=len(orders),
            total=offer.plan.total,
            orders=", ".join(str(o["out_trade_no"]) for o in orders),
        )
        return self._turn(
            message,
            language,
            orders=orders,
            paid=True,
            basket={**offer.to_json(), "orders": orders, "paid": True},
        )
