"""Virtual try-on: a product (upper-body garment, eyewear, headwear) on the shopper's own photo.

    types        Category, Point, Box, TryOnRequest, TryOnResult, size caps
    errors       TryOnError tree and the stable TryOnProblem codes
    images       header-first size checks, decoding to RGB, PNG encoding
    person       Observations, judge_person (the pure usability rules), analyser selection
    person_mediapipe / person_opencv   the two analysers (mediapipe's bundled models; Haar)
    product      cut-out on a plain background (border colour + GrabCut), PreparedProduct
    garment      garment anchors from the outline; sleeves + thin-plate-spline torso warp
    accessories  glasses on the irises, hats on the forehead
    compose      warps, alpha-over, shading transfer
    render       category -> drawing function
    cache        ProductCache (LRU of prepared products)
    backends     TryOnBackend Protocol, entry-point discovery, ClassicalBackend, TryOnService
    samples      drawn products and sample photos that installed packages ship
    bench        ``trustcart bench tryon``

The classical back end is an approximate preview, not a photograph, and says so in every result
(``TryOnResult.approximate`` and ``notice``). numpy, OpenCV and mediapipe are imported lazily,
inside functions, so importing this package (and ``trustcart --help``) needs none of them; without
the ``trustcart[tryon]`` extra a try-on raises ``TryOnUnavailable`` with the install hint.
"""

from trustcart.tryon.backends import (
    ENTRY_POINT_GROUP,
    ClassicalBackend,
    TryOnBackend,
    TryOnService,
)
from trustcart.tryon.errors import TryOnError, TryOnProblem
from trustcart.tryon.types import Category, TryOnRequest, TryOnResult

__all__ = [
    "ENTRY_POINT_GROUP",
    "Category",
    "ClassicalBackend",
    "TryOnBackend",
    "TryOnError",
    "TryOnProblem",
    "TryOnRequest",
    "TryOnResult",
    "TryOnService",
]
