"""Money is kept in integer fen (no Decimal reaches the engine's task data); forms take yuan."""

from __future__ import annotations

from decimal import Decimal


def fen_from_yuan(yuan: Decimal) -> int:
    """1200.50 yuan → 120050 fen. Exact: the forms accept at most two decimal places."""
    return int(yuan * 100)


def yuan_from_fen(fen: int) -> Decimal:
    """120050 fen → Decimal("1200.50") yuan: what a form shows for an amount kept."""
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def format_yuan(fen: int | None) -> str:
    """An amount kept in fen, in yuan to the fen: 120050 → "¥1,200.50"; None → ""."""
    if fen is None:
        return ""
    return f"¥{fen // 100:,}.{fen % 100:02d}"
