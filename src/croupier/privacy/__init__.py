"""Who may do what: staff roles and permissions, passwords, API keys and request signatures."""

from croupier.privacy.credentials import (
    SCOPES, NewKey, check_scopes, has_scope, hash_password, new_api_key, scope_for_staff_write, sha256_hex,
    sign, signature_problem, split_token, verify_password,
)
from croupier.privacy.roles import PERMISSIONS, ROLES, can, permissions_of

__all__ = ["PERMISSIONS", "ROLES", "SCOPES", "NewKey", "can", "check_scopes", "has_scope",
           "hash_password", "new_api_key", "permissions_of", "scope_for_staff_write", "sha256_hex", "sign",
           "signature_problem", "split_token", "verify_password"]
