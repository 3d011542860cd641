"""The wallet ledger: cash and bonus balances per player and currency, double-entry postings
in integer minor units, idempotent by transaction id, limits enforced inside the posting
transaction. `post` is the only way a balance changes."""

from croupier.ledger.legs import Balances
from croupier.ledger.model import (
    KINDS, OPERATOR_ACCOUNTS, PLAYER_ACCOUNTS, IdConflict, LedgerError, NotFound, PlayerContext, PostResult,
    TransferRequest,
)
from croupier.ledger.post import UsageSource, post, request_hash
from croupier.ledger.sessions import end as end_session, start as start_session
from croupier.ledger.views import authorize, transfer, wallet_view

__all__ = ["KINDS", "OPERATOR_ACCOUNTS", "PLAYER_ACCOUNTS", "Balances", "IdConflict", "LedgerError", "NotFound",
           "PlayerContext", "PostResult", "TransferRequest", "UsageSource", "authorize", "end_session", "post", "request_hash",
           "start_session", "transfer", "wallet_view"]
