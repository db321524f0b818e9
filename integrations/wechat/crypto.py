"""WeChat callback signatures and the "safe mode" AES envelope (AES-256-CBC, PKCS#7 to 32 bytes,
16 random bytes + 4-byte length + message + AppID), done with `cryptography`."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK = 32


class CryptoError(ValueError):
    """The envelope could not be decrypted or does not belong to this account."""


def sha1_signature(*parts: str) -> str:
    """SHA1 over the lexicographically sorted parts joined without separator (WeChat's signature)."""
    return hashlib.sha1("".join(sorted(str(p) for p in parts)).encode("utf-8")).hexdigest()


def check_signature(expected: str | None, *parts: str) -> bool:
    if not expected:
        return False
    return hmac.compare_digest(sha1_signature(*parts).encode(), expected.strip().lower().encode())


def decode_aes_key(encoding_aes_key: str) -> bytes:
    """The 43-character EncodingAESKey → the 32-byte AES key (its IV is the key's first 16 bytes)."""
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except (binascii.Error, ValueError) as e:
        raise CryptoError("EncodingAESKey is not base64") from e
    if len(key) != 32:
        raise CryptoError("EncodingAESKey must decode to 32 bytes")
    return key


class MessageCrypto:
    """Encrypts and decrypts one account's messages. ``app_id`` is the AppID (or WeCom CorpID)."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        self.token = token
        self.key = decode_aes_key(encoding_aes_key)
        self.app_id = app_id

    def _cipher(self) -> Cipher:
        return Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16]))

    def signature(self, timestamp: str, nonce: str, encrypt: str) -> str:
        return sha1_signature(self.token, timestamp, nonce, encrypt)

    def verify(self, msg_signature: str | None, timestamp: str, nonce: str, encrypt: str) -> bool:
        return check_signature(msg_signature, self.token, timestamp, nonce, encrypt)

    def encrypt(self, plaintext: str, random16: bytes | None = None) -> str:
        body = plaintext.encode("utf-8")
        raw = (random16 or os.urandom(16)) + struct.pack(">I", len(body)) + body + self.app_id.encode("utf-8")
        pad = _BLOCK - len(raw) % _BLOCK
        raw += bytes([pad]) * pad
        enc = self._cipher().encryptor()
        return base64.b64encode(enc.update(raw) + enc.finalize()).decode("ascii")

    def decrypt(self, encrypt: str) -> str:
        """The plaintext of an Encrypt field; CryptoError if it is garbled or addressed to another AppID."""
        try:
            data = base64.b64decode(encrypt, validate=True)
        except (binascii.Error, ValueError) as e:
            raise CryptoError("Encrypt is not base64") from e
        if not data or len(data) % 16:
            raise CryptoError("ciphertext length is not a multiple of the block size")
        dec = self._cipher().decryptor()
        raw = dec.update(data) + dec.finalize()
        pad = raw[-1]
        if pad < 1 or pad > _BLOCK or raw[-pad:] != bytes([pad]) * pad:
            raise CryptoError("bad padding")
        raw = raw[:-pad]
        if len(raw) < 20:
            raise CryptoError("plaintext too short")
        (length,) = struct.unpack(">I", raw[16:20])
        if 20 + length > len(raw):
            raise CryptoError("bad length field")
        body, app_id = raw[20 : 20 + length], raw[20 + length :]
        if not hmac.compare_digest(app_id, self.app_id.encode("utf-8")):
            raise CryptoError("message is for another AppID")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CryptoError("plaintext is not UTF-8") from e

    def envelope(self, plaintext: str, timestamp: str, nonce: str) -> str:
        """The encrypted passive-reply XML WeChat expects in safe mode."""
        encrypt = self.encrypt(plaintext)
        sig = self.signature(timestamp, nonce, encrypt)
        return (
            f"<xml><Encrypt><![CDATA[{encrypt}]]></Encrypt><MsgSignature><![CDATA[{sig}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>"
        )
