"""The wallet ledger: cash and bonus balances per player and currency, double-entry postings
in integer minor units, idempotent by transaction id, limits enforced inside the posting
transaction. `post` is the only way a balance changes.

The face exports the pure parts (legs, the request model), so importing them never pulls in
a database. The services that own SQL are imported from their own modules:
`ledger.post` (post, request_hash), `ledger.views` (authorize, transfer, wallet_view) and
`ledger.sessions` (start, end)."""

from croupier.ledger.legs import Balances
from croupier.ledger.model import (
    KINDS, OPERATOR_ACCOUNTS, PLAYER_ACCOUNTS, IdConflict, LedgerError, NotFound, PlayerContext, PostResult,
    TransferRequest,
)

__all__ = ["KINDS", "OPERATOR_ACCOUNTS", "PLAYER_ACCOUNTS", "Balances", "IdConflict", "LedgerError", "NotFound",
           "PlayerContext", "PostResult", "TransferRequest"]
