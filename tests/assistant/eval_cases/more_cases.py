"""Dialogues on the seed and requests on the generated catalog, for cases.jsonl (data writer).

Every expectation is written from the words of the case: "make it large" after "under 40"
means every option is large AND still within 40 (constraints accumulate as the text says);
"the second one" must propose what was shown second; "cheaper" must show totals below the
first option shown, or say nothing is cheaper. Seed prices follow local/seed_products.py
(drinks 12-40 CNY, t-shirts 40-200); the generated catalog's follow its documented ranges
(``Good.low`` .. ``Good.high`` in bench/assistant_eval_catalog.py).
"""

from typing import Any

from trustcart.bench.assistant_eval_catalog import GOODS

MILK_TEAS = [
    ("pearl milk tea", "珍珠奶茶"),
    ("taro milk tea", "芋泥奶茶"),
    ("oolong milk tea", "乌龙奶茶"),
    ("coconut milk tea", "椰奶茶"),
    ("brown sugar boba milk", "黑糖珠珠鲜奶"),
    ("cheese foam oolong", "芝士奶盖乌龙"),
]
OTHER_DRINKS = [
    ("jasmine green tea", "茉莉绿茶", "drinks/fruit-tea"),
    ("mango pomelo sago", "杨枝甘露", "drinks/fruit-tea"),
    ("grape jasmine tea", "多肉葡萄", "drinks/fruit-tea"),
    ("lemon black tea", "柠檬红茶", "drinks/fruit-tea"),
    ("strawberry fruit tea", "草莓果茶", "drinks/fruit-tea"),
    ("matcha latte", "抹茶拿铁", "drinks/coffee"),
    ("iced americano", "冰美式", "drinks/coffee"),
]
DRINKS = [(en, zh, "drinks/milk-tea") for en, zh in MILK_TEAS] + OTHER_DRINKS
COLOURS = [("black", "黑色"), ("white", "白色"), ("navy", "藏青色"), ("grey", "灰色")]


def turn(text: str, expect: str | list[str], **constraints: Any) -> dict[str, Any]:
    """One turn; ``question`` names the question's code, the rest are constraints."""
    step: dict[str, Any] = {"text": text, "expect": expect}
    question = constraints.pop("question", "")
    if question:
        step["question"] = question
    if constraints:
        step["constraints"] = constraints
    return step


def _drink(en: str, zh: str, category: str, cap: str = "40") -> dict[str, Any]:
    return {
        "max_unit_price": cap,
        "quantity": 1,
        "category": category,
        "title_any": [en, zh],
    }


def _first(en: str, zh: str, language: str) -> str:
    return f"a {en} under 40" if language == "en" else f"来一杯{zh}，40元以内"


def dialogue_cases() -> list[tuple[str, list[dict[str, Any]]]]:
    """(kind, turns) for every dialogue on the seed market."""
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for en, zh, category in DRINKS:
        for lang in ("en", "zh"):
            base = _drink(en, zh, category)
            first = turn(_first(en, zh, lang), "options", **base)
            second = "the second one" if lang == "en" else "第二个"
            same = {"turn": 1, "option": 2}
            out.append(
                (
                    f"dialogue-ordinal-{lang}",
                    [first, turn(second, "proposal", **base, same_as=same)],
                )
            )
            compare = "compare the first two" if lang == "en" else "比较一下前两个"
            out.append((f"dialogue-compare-{lang}", [first, turn(compare, "comparison", rows=2)]))
    for en, zh, category in DRINKS[:10]:
        for lang in ("en", "zh"):
            base = _drink(en, zh, category)
            first = turn(_first(en, zh, lang), "options", **base)
            cheaper = "cheaper" if lang == "en" else "便宜点"
            ref = {"turn": 1, "option": 1}
            out.append(
                (
                    f"dialogue-cheaper-{lang}",
                    [first, turn(cheaper, ["options", "impossible"], **base, cheaper_than=ref)],
                )
            )
    for en, zh, category in DRINKS[:6]:
        for lang in ("en", "zh"):
            base = _drink(en, zh, category)
            first = turn(_first(en, zh, lang), "options", **base)
            large = "make it large" if lang == "en" else "大杯"
            out.append(
                (
                    f"dialogue-size-{lang}",
                    [first, turn(large, "options", **base, attributes={"size": "large"})],
                )
            )
            pick = "the first one" if lang == "en" else "第一个"
            cancel = "cancel" if lang == "en" else "取消"
            again = "the second one" if lang == "en" else "第二个"
            out.append(
                (
                    f"dialogue-cancel-{lang}",
                    [
                        first,
                        turn(pick, "proposal", **base, same_as={"turn": 1, "option": 1}),
                        turn(cancel, "reply"),
                        turn(again, "question", question="reference"),
                    ],
                )
            )
    for en, zh, category in DRINKS[:5]:
        for lang in ("en", "zh"):
            base = _drink(en, zh, category)
            first = turn(_first(en, zh, lang), "options", **base)
            other = "from another shop" if lang == "en" else "换一家"
            ref = {"turn": 1, "option": 1}
            out.append(
                (
                    f"dialogue-shop-{lang}",
                    [first, turn(other, ["options", "impossible"], **base, not_merchant_of=ref)],
                )
            )
            faster = "faster delivery" if lang == "en" else "快一点"
            out.append(
                (
                    f"dialogue-faster-{lang}",
                    [first, turn(faster, ["options", "impossible"], **base, faster_than=ref)],
                )
            )
            help_text = "help" if lang == "en" else "帮助"
            out.append((f"dialogue-help-{lang}", [turn(help_text, "reply"), first]))
    shirt: dict[str, Any] = {"max_unit_price": "200", "quantity": 1, "category": "apparel/t-shirt"}
    for (colour, colour_zh), (other, other_zh) in zip(
        COLOURS, COLOURS[1:] + COLOURS[:1], strict=True
    ):
        en_first = turn(
            f"a {colour} t-shirt size L under 200",
            "options",
            **shirt,
            attributes={"size": "L", "colour": colour},
        )
        zh_first = turn(
            f"买一件{colour_zh}L码T恤，200元以内",
            "options",
            **shirt,
            attributes={"size": "L", "colour": colour},
        )
        wanted = {"size": "L", "colour": other}
        out.append(
            (
                "dialogue-colour-en",
                [en_first, turn(f"in {other} please", "options", **shirt, attributes=wanted)],
            )
        )
        out.append(
            (
                "dialogue-colour-zh",
                [zh_first, turn(f"换成{other_zh}", "options", **shirt, attributes=wanted)],
            )
        )
    for size in ("S", "M", "L"):
        out.append(
            (
                "dialogue-answer-en",
                [
                    turn("buy a t-shirt under 200", "question", question="size"),
                    turn(size, "options", **shirt, attributes={"size": size}),
                ],
            )
        )
        out.append(
            (
                "dialogue-answer-zh",
                [
                    turn("买一件T恤，200元以内", "question", question="size"),
                    turn(f"{size}码", "options", **shirt, attributes={"size": size}),
                ],
            )
        )
    eyewear: dict[str, Any] = {"category": "accessories/eyewear"}
    hat: dict[str, Any] = {"category": "accessories/hat"}
    for text, answer, wanted in [
        ("a hat or sunglasses", "sunglasses", eyewear),
        ("a hat or sunglasses", "the first", hat),
        ("帽子还是墨镜", "墨镜", eyewear),
        ("帽子还是墨镜", "帽子", hat),
    ]:
        lang = "zh" if "帽" in text else "en"
        out.append(
            (
                f"dialogue-choice-{lang}",
                [turn(text, "question", question="choice"), turn(answer, "options", **wanted)],
            )
        )
    return out


def generated_cases() -> list[tuple[str, list[dict[str, Any]]]]:
    """(kind, turns) for every case on the generated catalog."""
    out: list[tuple[str, list[dict[str, Any]]]] = []
    for good in GOODS:
        what: dict[str, Any] = {"category": good.category, "title_any": [good.en, good.zh]}
        high, below = str(good.high), str(good.low - 1)
        two = f"2 {good.unit}s of {good.en}" if good.unit else f"2 {good.plural}"
        one_zh = f"一{good.classifier}{good.zh}"
        out += [
            (
                "generated-en",
                [
                    turn(
                        f"a {good.en} under {high}",
                        "options",
                        max_unit_price=high,
                        quantity=1,
                        **what,
                    )
                ],
            ),
            (
                "generated-en",
                [
                    turn(
                        f"{two} under {high} each",
                        "options",
                        max_unit_price=high,
                        quantity=2,
                        **what,
                    )
                ],
            ),
            (
                "generated-zh",
                [
                    turn(
                        f"{one_zh}，{high}元以内",
                        "options",
                        max_unit_price=high,
                        quantity=1,
                        **what,
                    )
                ],
            ),
            (
                "generated-zh",
                [turn(f"买两{good.classifier}{good.zh}", "options", quantity=2, **what)],
            ),
            ("generated-zh", [turn(f"我要{one_zh}", "options", quantity=1, **what)]),
            ("generated-impossible", [turn(f"a {good.en} under {below} yuan", "impossible")]),
            ("generated-impossible", [turn(f"{one_zh}，不超过{below}元", "impossible")]),
            (
                "generated-dialogue-en",
                [
                    turn(f"a {good.en} under {high}", "options", max_unit_price=high, **what),
                    turn(
                        "the second one",
                        "proposal",
                        max_unit_price=high,
                        **what,
                        same_as={"turn": 1, "option": 2},
                    ),
                ],
            ),
            (
                "generated-dialogue-zh",
                [
                    turn(one_zh, "options", quantity=1, **what),
                    turn(
                        "第二个", "proposal", quantity=1, **what, same_as={"turn": 1, "option": 2}
                    ),
                ],
            ),
            (
                "generated-dialogue-zh",
                [
                    turn(f"{good.zh}", "options", **what),
                    turn("比较一下前两个", "comparison", rows=2),
                ],
            ),
        ]
    for text in (
        "a pearl milk tea",
        "一杯珍珠奶茶",
        "sparkling water",
        "a black t-shirt size M",
        "买一副墨镜",
        "wireless earbuds",
    ):
        out.append(("generated-not-sold", [turn(text, "impossible")]))
    return out
