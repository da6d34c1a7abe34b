"""Disputes decided from evidence (ACT TSD-ATT-DSP): application, evidence, SVF, disposition.

``lifecycle`` is the dispute's transition table, ``evidence`` reads a verified bundle into the
facts the rules need, ``rules`` proposes a disposition from them (pure), and ``service`` runs
the shell: open, gather, decide, refund and log in one transaction. See docs/disputes.md.
"""
