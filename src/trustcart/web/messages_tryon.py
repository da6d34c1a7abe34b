"""Messages of try-on in the browser and of product pictures (shopper and console), EN and ZH.

Merged into ``web.messages`` (same rules: same keys and fields in both languages). Every
``TryOnProblem`` and ``PictureProblem`` code has a ``tryon.error.<code>`` message, and the console
a ``picture.error.<code>`` one (``tests/web/test_tryon_pages.py`` checks it).
"""

from __future__ import annotations

TRYON_EN: dict[str, str] = {
    "nav.tryon": "Try on",
    "tryon.link": "Try on",
    "tryon.title": "Try it on",
    "tryon.lead": "Upload a photo of yourself (or take one), choose a product, and see it on you.",
    "tryon.privacy": "Your photo is used for this preview only: it is not stored, and it is gone "
    "when the page is.",
    "tryon.photo_label": "Your photo",
    "tryon.photo_help": "A photo from the front, of you alone (PNG, JPEG or WebP, up to 12 MiB).",
    "tryon.product_legend": "The product to try on",
    "tryon.none": "No product here supports try-on yet.",
    "tryon.from_chat": "from your chat",
    "tryon.kind.upper": "top",
    "tryon.kind.eyewear": "glasses",
    "tryon.kind.headwear": "hat",
    "tryon.submit": "Show me",
    "tryon.back": "Back to the assistant",
    "tryon.result_heading": "Your preview",
    "tryon.result_alt": "Preview: {title} on your photo",
    "tryon.notice": "Approximate preview: the product is laid onto your photo by a simple method; "
    "fit, drape, size and colour may differ from the real item.",
    "tryon.error.no-photo": "Choose a photo first.",
    "tryon.error.no-product": "Choose a product that supports try-on.",
    "tryon.error.no-picture": "This product has no picture to try on yet.",
    "tryon.error.picture-unreadable": "This file is not a picture we can read: use a PNG, JPEG "
    "or WebP photo.",
    "tryon.error.picture-too-large": "This photo is too large: use one under 12 MiB and "
    "24 megapixels.",
    "tryon.error.picture-too-small": "This photo is too small: use one at least 64 pixels on "
    "each side.",
    "tryon.error.image-unreadable": "This file is not a picture we can read: use a PNG, JPEG or "
    "WebP photo.",
    "tryon.error.image-too-large": "This photo is too large: use a smaller one.",
    "tryon.error.image-too-small": "This photo is too small: use a larger one.",
    "tryon.error.no-person": "We could not find a person in this photo: take one of yourself, "
    "from the front, with your face and shoulders visible.",
    "tryon.error.several-people": "There are several people in this photo: use one of you alone.",
    "tryon.error.seen-from-behind": "This photo shows you from behind: face the camera.",
    "tryon.error.person-too-small": "You are too small in this photo: come closer to the camera.",
    "tryon.error.product-unusable": "This product's picture cannot be used for try-on.",
    "tryon.error.tryon-unavailable": "Try-on is not installed on this server.",
    "tryon.error.backend-unknown": "This try-on method is not known here.",
    "tryon.error.backend-unavailable": "Try-on cannot run on this server right now.",
    "tryon.error.backend-failed": "Try-on failed this time: please try again.",
    "compare.picture": "Picture",
    "product.picture": "Picture",
    "picture.title": "Product picture",
    "picture.change": "Change picture",
    "picture.back": "Back to the products",
    "picture.saved": "The new picture is saved; shoppers see it now.",
    "picture.file": "Picture file",
    "picture.help": "PNG, JPEG or WebP, up to 5 MiB and 24 megapixels, at least 64 pixels on each "
    "side. It is re-encoded as PNG, at most 1024 pixels on a side.",
    "picture.upload": "Upload the picture",
    "picture.error.picture-unreadable": "This file is not a PNG, JPEG or WebP picture, or it is "
    "damaged.",
    "picture.error.picture-too-large": "This picture is too large: up to 5 MiB and 24 megapixels.",
    "picture.error.picture-too-small": "This picture is too small: at least 64 pixels on each "
    "side.",
}

TRYON_ZH: dict[str, str] = {
    "nav.tryon": "试穿",
    "tryon.link": "试穿",
    "tryon.title": "在线试穿",
    "tryon.lead": "上传一张您的照片（或现场拍一张），选一件商品，看看穿戴在您身上的效果。",
    "tryon.privacy": "您的照片只用于这次预览：不会被保存，离开页面即消失。",
    "tryon.photo_label": "您的照片",
    "tryon.photo_help": "正面、只有您一个人的照片（PNG、JPEG 或 WebP，不超过 12 MiB）。",
    "tryon.product_legend": "要试穿的商品",
    "tryon.none": "目前还没有支持试穿的商品。",
    "tryon.from_chat": "来自您的对话",
    "tryon.kind.upper": "上衣",
    "tryon.kind.eyewear": "眼镜",
    "tryon.kind.headwear": "帽子",
    "tryon.submit": "看看效果",
    "tryon.back": "返回购物助手",
    "tryon.result_heading": "您的预览",
    "tryon.result_alt": "预览：{title} 在您的照片上",
    "tryon.notice": "近似预览：商品是用简单方法贴合到您的照片上的，"
    "版型、垂感、尺码和颜色可能与实物不同。",
    "tryon.error.no-photo": "请先选择一张照片。",
    "tryon.error.no-product": "请选择一件支持试穿的商品。",
    "tryon.error.no-picture": "这件商品还没有可用于试穿的图片。",
    "tryon.error.picture-unreadable": "无法读取这个文件：请使用 PNG、JPEG 或 WebP 格式的照片。",
    "tryon.error.picture-too-large": "照片太大：请使用小于 12 MiB、不超过 2400 万像素的照片。",
    "tryon.error.picture-too-small": "照片太小：每条边至少需要 64 像素。",
    "tryon.error.image-unreadable": "无法读取这个文件：请使用 PNG、JPEG 或 WebP 格式的照片。",
    "tryon.error.image-too-large": "照片太大：请换一张小一些的。",
    "tryon.error.image-too-small": "照片太小：请换一张大一些的。",
    "tryon.error.no-person": "照片中没有找到人：请拍一张您本人的正面照，露出脸和肩膀。",
    "tryon.error.several-people": "照片中有好几个人：请使用只有您一个人的照片。",
    "tryon.error.seen-from-behind": "这张照片是背面：请面对镜头。",
    "tryon.error.person-too-small": "您在照片中太小了：请离镜头近一些。",
    "tryon.error.product-unusable": "这件商品的图片无法用于试穿。",
    "tryon.error.tryon-unavailable": "本服务器没有安装试穿功能。",
    "tryon.error.backend-unknown": "这里没有这种试穿方式。",
    "tryon.error.backend-unavailable": "试穿功能暂时无法在本服务器上运行。",
    "tryon.error.backend-failed": "这次试穿失败了：请再试一次。",
    "compare.picture": "图片",
    "product.picture": "图片",
    "picture.title": "商品图片",
    "picture.change": "更换图片",
    "picture.back": "返回商品列表",
    "picture.saved": "新图片已保存，顾客现在就能看到。",
    "picture.file": "图片文件",
    "picture.help": "PNG、JPEG 或 WebP，不超过 5 MiB 和 2400 万像素，每条边至少 64 像素。"
    "图片会被重新编码为 PNG，最长边不超过 1024 像素。",
    "picture.upload": "上传图片",
    "picture.error.picture-unreadable": "这个文件不是 PNG、JPEG 或 WebP 图片，或者已损坏。",
    "picture.error.picture-too-large": "图片太大：不超过 5 MiB 和 2400 万像素。",
    "picture.error.picture-too-small": "图片太小：每条边至少 64 像素。",
}
