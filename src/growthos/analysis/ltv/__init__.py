"""Predicted customer lifetime value: BG/NBD (how many more purchases, is the customer still alive) and
Gamma-Gamma (how much a purchase is worth), fitted by maximum likelihood on any transaction log."""

from growthos.analysis.ltv.bgnbd import BgNbdParams
from growthos.analysis.ltv.fitting import FitDidNotConverge
from growthos.analysis.ltv.gamma_gamma import GammaGammaParams
from growthos.analysis.ltv.predict import LtvResult, predict_ltv, predict_ltv_csv
from growthos.analysis.ltv.summary import TIME_UNITS, CustomerSummaries, summarise
from growthos.analysis.ltv.transactions import Transaction, read_transactions_csv

__all__ = [
    "TIME_UNITS", "BgNbdParams", "CustomerSummaries", "FitDidNotConverge", "GammaGammaParams", "LtvResult",
    "Transaction", "predict_ltv", "predict_ltv_csv", "read_transactions_csv", "summarise",
]
