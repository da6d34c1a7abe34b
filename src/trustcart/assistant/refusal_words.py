"""Refusals in words, English and 中文: every stable code a shopper can meet, as a sentence.

A refusal keeps its code in JSON (``ToolRefused.to_json``); the person reads a sentence. Codes
come from the tools (``ToolCode``), the buyer agent (``AgentCode``), the status service, the
constraint evaluation (``ConstraintReason``, in ``reasons``), the merchant and the payment
provider. They are written here as strings, not imported: the assistant is another party than
those services (``tests/assistant/test_refusal_words.py`` checks that none is missing). A code
not in the table still gets a sentence that names it.

>>> refusal_sentence("outside-authorization", ("over-total-budget",), "en")
'it is outside what you authorized: it would go over the total budget'
>>> refusal_sentence("iac-revoked", (), "zh")
'这项授权已被撤销'
"""

from __future__ import annotations

from collections.abc import Sequence

# code -> (English, Chinese); the English reads after "I did not pay: ".
REFUSALS: dict[str, tuple[str, str]] = {
    # the tools
    "invalid-argument": ("a value given to a tool is malformed", "传给工具的参数格式不对"),
    "unknown-option": ("that option is no longer on offer", "这个选项已经不存在了"),
    "unknown-proposal": ("that proposal is no longer open", "这个购买提议已经失效了"),
    "unknown-delegation": ("I know no such authorization", "找不到这项授权"),
    "not-a-standing-order": (
        "that does not describe a standing order (what, how often, and a budget)",
        "这不像一个长期委托（需要说明买什么、多久一次和预算）",
    ),
    "no-valid-iac": (
        "you have not authorized this purchase yet",
        "您还没有授权这次购买",
    ),
    "iac-not-for-this-proposal": (
        "your approval was for another purchase",
        "您的确认是针对另一笔购买的",
    ),
    "outside-authorization": (
        "it is outside what you authorized",
        "这超出了您授权的范围",
    ),
    "cart-mismatch": (
        "the shop's confirmed cart is not what you chose",
        "商家确认的购物车与您选择的不一致",
    ),
    "already-paid": (
        "this was paid already; nothing was charged twice",
        "这笔已经付过了，不会重复扣款",
    ),
    "declined": ("you said no", "您拒绝了"),
    "authorization-failed": (
        "your wallet could not sign the authorization",
        "您的钱包未能签发授权",
    ),
    "revocation-failed": (
        "the status service did not accept the revocation",
        "状态服务没有接受撤销",
    ),
    "not-what-was-asked": (
        "it is not what you asked for (kind, size, colour or price each)",
        "这不是您要的商品（种类、尺码、颜色或单价不符）",
    ),
    # the buyer agent
    "payment-held": (
        "the payment is on hold: the authorization's status could not be confirmed just now; "
        "nothing was charged, try again shortly",
        "付款暂缓：暂时无法确认授权状态，未扣款，请稍后再试",
    ),
    "aup-self-check-failed": (
        "your agent stopped this autonomous payment itself: it is outside what you authorized",
        "您的代理自行停止了这笔自主付款：它超出了您的授权范围",
    ),
    "aup-not-bounded": (
        "autonomous payments need a standing authorization with limits, not a one-purchase one",
        "自主付款需要有额度限制的长期授权，而不是单次购买的授权",
    ),
    # checkout sessions (ACP, UCP)
    "unknown-checkout": ("there is no such checkout", "没有这个结账会话"),
    "checkout-illegal-transition": (
        "the checkout cannot do that in its current state",
        "结账会话当前的状态不允许这样做",
    ),
    "checkout-not-ready": (
        "the checkout is not ready to be paid yet",
        "结账会话还不能付款",
    ),
    "checkout-price-changed": (
        "the price changed since the checkout was shown",
        "自结账显示以来价格已变动",
    ),
    "checkout-currency-unsupported": (
        "the shop does not sell in that currency",
        "该商家不以这种货币销售",
    ),
    "payment-declined": ("the payment was declined; nothing was charged", "付款被拒绝，未扣款"),
    "payment-unavailable": (
        "the payment provider did not answer; nothing was charged, try again",
        "支付机构没有响应，未扣款，请重试",
    ),
    "iac-refused": (
        "your authorization does not allow this checkout",
        "您的授权不允许这次结账",
    ),
    "status-unavailable": (
        "the authorization's status could not be checked, so nothing was paid",
        "无法确认授权状态，为安全起见没有付款",
    ),
    "no-match": ("no shop offers what you asked", "没有商家提供您要的商品"),
    "method-not-allowed": (
        "the shop takes no payment method you allowed",
        "商家不支持您允许的付款方式",
    ),
    "negotiation-incomplete": (
        "the shop's payment details are incomplete",
        "商家的付款信息不完整",
    ),
    "cart-signature-invalid": (
        "the cart is not signed by the shop it names",
        "购物车不是该商家签名的",
    ),
    "price-deviation-cancelled": (
        "the price changed beyond your tolerance, so the purchase was cancelled",
        "价格变动超出您允许的范围，已取消购买",
    ),
    "price-deviation-paused": (
        "the price changed beyond your tolerance; please look again",
        "价格变动超出您允许的范围，请重新确认",
    ),
    "receipt-invalid": (
        "the payment receipt does not verify",
        "付款回执验证失败",
    ),
    "receipt-mismatch": ("the receipt is for another order", "付款回执对应的是另一个订单"),
    "bad-answer": ("a service answered something unreadable", "某个服务返回了无法理解的内容"),
    # credential status
    "iac-invalid": ("the authorization does not verify", "授权凭证验证失败"),
    "delegator-key-unknown": (
        "the authorization is not signed by a key registered as yours",
        "授权凭证不是用登记在您名下的密钥签署的",
    ),
    "iac-suspended": ("this authorization is suspended", "这项授权已被暂停"),
    "iac-revoked": ("this authorization was revoked", "这项授权已被撤销"),
    "iac-expired": ("this authorization has expired", "这项授权已过期"),
    "iac-not-yet-valid": ("this authorization is not valid yet", "这项授权尚未生效"),
    "illegal-transition": (
        "that change is not allowed for this authorization (it may be revoked or expired)",
        "这项授权不能这样变更（可能已撤销或过期）",
    ),
    "not-authorized": ("the request was not signed by you", "这个请求不是您签名的"),
    # constraint reasons (in ``reasons``)
    "outside-validity-window": (
        "it is outside the authorization's time window",
        "不在授权的有效期内",
    ),
    "currency-mismatch": ("the price is in another currency", "价格的币种不一致"),
    "over-single-limit": ("it is above the limit per purchase", "超过了单笔限额"),
    "under-single-minimum": ("it is below the minimum per purchase", "低于单笔最低金额"),
    "over-total-budget": ("it would go over the total budget", "会超出总预算"),
    "over-quantity": ("it would go over the number of items allowed", "会超出允许购买的数量"),
    "merchant-not-allowed": ("this shop is not one you allowed", "这家店不在您允许的商家之内"),
    "merchant-forbidden": ("you excluded this shop", "您排除了这家店"),
    "category-not-allowed": (
        "this kind of goods is not one you allowed",
        "这类商品不在您允许的范围内",
    ),
    "category-forbidden": ("you excluded this kind of goods", "您排除了这类商品"),
    "payment-method-not-allowed": ("this payment method is not allowed", "不允许使用这种付款方式"),
    "invalid-amount": ("the amount is not a positive amount", "金额必须大于零"),
    # the payment provider
    "payment-request-invalid": ("the payment request was malformed", "付款请求格式不对"),
    "agent-mismatch": ("the payment came from another agent", "付款请求来自另一个代理"),
    "role-not-allowed": ("that party may not do this", "这个参与方无权这样做"),
    "token-invalid": ("the payment token is not valid", "支付令牌无效"),
    "token-agent-mismatch": (
        "the payment token belongs to another agent",
        "支付令牌属于另一个代理",
    ),
    "token-delegation-mismatch": (
        "the payment token belongs to another authorization",
        "支付令牌属于另一项授权",
    ),
    "binding-refused": ("the payment provider issued no payment token", "支付机构没有签发支付令牌"),
    "unknown-account": ("your wallet was not found", "找不到您的钱包账户"),
    "approval-missing": (
        "this payment needs your approval of the exact cart",
        "这笔付款需要您确认具体的购物车",
    ),
    "approval-invalid": ("your approval does not verify", "您的确认签名验证失败"),
    "approval-mismatch": (
        "the cart changed after you approved it",
        "购物车在您确认之后发生了变化",
    ),
    "cart-invalid": (
        "the cart is not properly signed or does not add up",
        "购物车签名无效或金额不符",
    ),
    "cart-expired": ("the shop's price hold ran out; please try again", "商家的锁价已过期，请重试"),
    "amount-mismatch": ("the amount is not the confirmed total", "金额与确认的总价不一致"),
    "over-budget": ("it would go over your budget", "会超出您的预算"),
    "over-period-cap": (
        "it would go over this period's cap of your standing order",
        "会超出这个长期委托本期的上限",
    ),
    "risk-refused": (
        "the payment provider's risk rules refused it (too many payments too fast)",
        "支付机构的风控规则拒绝了这笔付款（短时间内付款过多）",
    ),
    "risk-step-up-required": (
        "the payment provider asks you to approve this one payment yourself",
        "支付机构要求您亲自确认这一笔付款",
    ),
    "ap2-mandate-refused": (
        "the AP2 mandate sent with it was refused",
        "随付款提交的 AP2 授权书被拒绝了",
    ),
    "basket-invalid": (
        "the basket names the same order or cart twice",
        "这个购物篮重复包含了同一个订单或购物车",
    ),
    "constraint-violated": ("it breaks a limit of your authorization", "违反了授权中的限制"),
    "mode-not-allowed": (
        "this authorization does not allow buying without asking",
        "这项授权不允许免确认购买",
    ),
    "insufficient-funds": ("your wallet balance is too low", "您的钱包余额不足"),
    "idempotency-key-missing": (
        "the payment request lacked its idempotency key",
        "付款请求缺少幂等键",
    ),
    "idempotency-conflict": (
        "a repeated request did not match the first",
        "重复的请求与第一次不一致",
    ),
    "idempotency-in-flight": (
        "the same payment is being processed right now",
        "同一笔付款正在处理中",
    ),
    "unknown-payment": ("no such payment was found", "找不到这笔付款"),
    "refund-exceeds-payment": ("a refund may not exceed what was paid", "退款不能超过已付金额"),
    "not-payment-merchant": ("only the shop that was paid may refund", "只有收款的商家可以退款"),
    # the merchant
    "unknown-product": ("the shop does not sell that product any more", "商家已不再出售这件商品"),
    "unknown-merchant": ("that shop is not on the marketplace", "平台上没有这家店"),
    "unknown-order": ("the shop knows no such order", "商家找不到这个订单"),
    "unknown-request": ("the shop lost track of the earlier request", "商家找不到之前的请求"),
    "request-id-reused": ("a request was sent twice", "同一个请求被发送了两次"),
    "out-of-stock": ("it is out of stock", "已经缺货"),
    "price-changed": ("the price changed since you saw it", "价格在您查看之后变了"),
    "amount-exceeded": ("the cart would go over your limit", "购物车总价超出了您的上限"),
    "delivery-too-slow": ("delivery would take longer than you allowed", "配送时间超过了您的要求"),
    "quantity-exceeded": ("it is more items than you allowed", "数量超过了您的上限"),
    "coupon-not-applicable": ("a coupon does not apply to this cart", "优惠券不适用于这个购物车"),
    "lock-failed": (
        "the shop could not hold the price and stock; nothing was bought",
        "商家未能锁定价格和库存，没有购买",
    ),
    "merchant-unavailable": ("the shop cannot take orders right now", "商家暂时无法接单"),
    "method-not-supported": (
        "the shop does not take that payment method",
        "商家不支持这种付款方式",
    ),
}


def refusal_sentence(code: str, reasons: Sequence[str], language: str) -> str:
    """The refusal as a sentence in ``language``: the code's words, then each reason's."""
    chinese = language == "zh"
    head = REFUSALS.get(code)
    text = (head[1] if chinese else head[0]) if head else _unknown(code, chinese)
    details = [REFUSALS[r][1 if chinese else 0] for r in reasons if r in REFUSALS and r != code]
    if details:
        text += ("：" if chinese else ": ") + ("；" if chinese else "; ").join(details)
    return text


def _unknown(code: str, chinese: bool) -> str:
    return f"对方拒绝了（{code}）" if chinese else f"the other party refused ({code})"
