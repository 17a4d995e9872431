"""The liquidation prices of a book kept in a pandas DataFrame, exact to the
venue's rules (Binance USDⓈ-M here): `python examples/python/liquidation_prices.py`."""

import pandas as pd

import levamp


def liquidation_prices(book: pd.DataFrame, prices: dict, venue: str = "binance-usdm") -> pd.Series:
    """One liquidation price per row of ``book`` (columns id, market, size,
    entry_price, collateral in the quote asset USDT)."""
    snapshot = {
        "quote": "USDT",
        "prices": {**prices, "USDT": 1},
        "accounts": [
            {
                "id": str(r.id),
                "collateral": {"USDT": float(r.collateral)},
                "positions": [{"market": r.market, "size": float(r.size), "entry_price": float(r.entry_price)}],
            }
            for r in book.itertuples()
        ],
    }
    out = levamp.margin(snapshot, venue)
    return pd.Series([a["positions"][0]["liquidation_price"] for a in out["accounts"]], index=book.index)


if __name__ == "__main__":
    book = pd.DataFrame(
        {
            "id": ["long-20x", "short-10x", "eth-long"],
            "market": ["BTCUSDT", "BTCUSDT", "ETHUSDT"],
            "size": [0.5, -2.0, 10.0],
            "entry_price": [60000, 61000, 3000],
            "collateral": [1500, 12200, 3000],
        }
    )
    book["liquidation_price"] = liquidation_prices(book, {"BTC": 60500, "ETH": 3010})
    print(book.to_string(index=False))
