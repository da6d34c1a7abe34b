"""BM25 terms for Chinese: characters, bigrams and jieba words for documents; words for queries.

Segmentation alone is brittle for search: jieba cuts "椰奶茶" (coconut milk tea) as
"椰奶 / 茶", so the query "奶茶" would miss it, and a shop's own product names are often not in
any dictionary. Bigrams alone are noisy ("珠奶" is not a word) and cannot tell a word of three
or more characters. So the two are combined, measured in docs/search.md:

* a document gives, for each CJK run, its characters, its bigrams, and the search-mode words
  of three or more characters (a two-character word is already a bigram); words that glue
  Latin letters to Chinese ("t恤") are kept whole;
* a query gives its search-mode words, minus Chinese function words ("我", "想要", "一杯",
  "的"...), and the bigrams of each word of three or more characters: every two-character
  query word then meets the documents' bigrams, a longer one their words or, when the
  document was cut differently ("电饭锅" against "电饭煲"), its bigrams, and a single
  character ("茶", "帽") their characters.

Segmentation sees the text as written (jieba's dictionary has "T恤", not "t恤"); the terms
come out lowercased, as ``search.analysis`` lowercases Latin words.
"""

from __future__ import annotations

from trustcart.search.segmentation import CJK_RUN, chinese_words, has_cjk, search_words

# Words that carry no product meaning in a shopping request; dropped from queries only.
QUERY_STOP_WORDS = frozenset(
    {
        "我",
        "你",
        "的",
        "了",
        "给",
        "要",
        "想",
        "买",
        "找",
        "来",
        "个",
        "件",
        "杯",
        "份",
        "双",
        "顶",
        "副",
        "一",
        "请",
        "帮",
        "把",
        "和",
        "或",
        "有",
        "吗",
        "呢",
        "吧",
        "啊",
        "么",
        "这",
        "那",
        "在",
        "是",
        "就",
        "都",
        "也",
        "很",
        "还",
        "只",
        "点",
        "些",
        "下",
        "元",
        "块",
        "想要",
        "我要",
        "我想",
        "给我",
        "帮我",
        "一杯",
        "一个",
        "一件",
        "一双",
        "一份",
        "一些",
        "一点",
        "有没有",
        "没有",
        "可以",
        "推荐",
        "便宜",
        "便宜点",
        "以下",
        "以内",
        "左右",
        "不要",
        "不超过",
        "价格",
        "附近",
        "哪里",
        "什么",
        "找件",
        "来杯",
        "来个",
    }
)


def document_terms(text: str) -> list[str]:
    """Characters, bigrams and long words of the Chinese in ``lowered``, in that order per run.

    >>> document_terms("Pearl Milk Tea 珍珠奶茶")
    ['珍', '珠', '奶', '茶', '珍珠', '珠奶', '奶茶', '珍珠奶茶']
    >>> document_terms("经典圆领T恤")[-1]
    't恤'
    """
    if not has_cjk(text):
        return []
    terms: list[str] = []
    for run in CJK_RUN.findall(text):
        terms.extend(run)
        terms.extend(run[i : i + 2] for i in range(len(run) - 1))
    terms.extend(
        w.lower()
        for w in chinese_words(search_words(text))
        if len(w) > 2 or not CJK_RUN.fullmatch(w)
    )
    return terms


def query_terms(text: str) -> list[str]:
    """Distinct search-mode words of the Chinese in ``lowered``, function words dropped.

    >>> query_terms("我想要一杯珍珠奶茶")
    ['珍珠', '奶茶', '珍珠奶茶', '珠奶']
    >>> query_terms("有没有便宜的太阳镜")
    ['太阳', '太阳镜', '阳镜']
    """
    if not has_cjk(text):
        return []
    terms: list[str] = []
    for written in chinese_words(search_words(text)):
        word = written.lower()
        if word in QUERY_STOP_WORDS:
            continue
        terms.append(word)
        if len(word) > 2 and CJK_RUN.fullmatch(word):
            terms.extend(word[i : i + 2] for i in range(len(word) - 1))
    return list(dict.fromkeys(terms))
