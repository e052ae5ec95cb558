"""Encryption of the secrets kept for a Xero connection (tokens, client secret).

Fernet keys come from outside the database. Several keys may be given: the first encrypts, all of
them decrypt, so a new key is put first, `rotate` re-encrypts what is stored, and the old key is
dropped afterwards.
"""

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretCipherError(Exception):
    """The key is missing or wrong, or a stored secret cannot be read with it."""


class SecretCipher:
    def __init__(self, keys):
        if isinstance(keys, str):
            keys = keys.split(",")
        keys = [key.strip() for key in keys or () if key and key.strip()]
        if not keys:
            raise SecretCipherError("No encryption key was given.")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except (ValueError, TypeError) as exc:
            raise SecretCipherError(
                "An encryption key is not a Fernet key (32 url-safe base64-encoded bytes)."
            ) from exc

    @staticmethod
    def generate_key():
        return Fernet.generate_key().decode()

    def encrypt(self, value):
        """Encrypt any JSON-serialisable value."""
        return self._fernet.encrypt(json.dumps(value).encode()).decode()

    def decrypt(self, blob):
        try:
            return json.loads(self._fernet.decrypt(blob.encode()))
        except InvalidToken as exc:
            raise SecretCipherError(
                "A stored Xero secret cannot be decrypted with the configured keys: was the "
                "encryption key changed without keeping the old one?"
            ) from exc

    def rotate(self, blob):
        """Re-encrypt `blob` with the first key."""
        try:
            return self._fernet.rotate(blob.encode()).decode()
        except InvalidToken as exc:
            raise SecretCipherError("A stored Xero secret cannot be decrypted to rotate.") from exc
