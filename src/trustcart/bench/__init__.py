"""Benchmarks and evaluations: commands that measure and print figures (docs/benchmarks.md).

search          ``trustcart bench search``: a synthetic marketplace, ingest and query timings
tryon           ``trustcart bench tryon``: try-on timings at three photo sizes
startup         ``trustcart bench startup``: command start-up as ratios to baselines
assistant_eval  the assistant's evaluation cases and the WANDS robustness set
"""
