"""The cryptography of WeChat Pay API v3: SHA256-with-RSA signatures (PKCS#1 v1.5) over the
canonical messages, the Authorization header, and AEAD_AES_256_GCM resources keyed by the APIv3 key."""

from __future__ import annotations

import base64
import re
import secrets

from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEMA = "WECHATPAY2-SHA256-RSA2048"


def nonce_str(n: int = 32) -> str:
    return secrets.token_hex(n // 2).upper()


def request_message(method: str, url_path: str, timestamp: str, nonce: str, body: str) -> str:
    """``METHOD\\nURL\\ntimestamp\\nnonce\\nbody\\n`` — URL is the path with its query string."""
    return f"{method.upper()}\n{url_path}\n{timestamp}\n{nonce}\n{body}\n"


def response_message(timestamp: str, nonce: str, body: str) -> str:
    """``timestamp\\nnonce\\nbody\\n`` — what WeChat Pay signs on responses and notifications."""
    return f"{timestamp}\n{nonce}\n{body}\n"


def sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(private_key.sign(message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key: rsa.RSAPublicKey, message: str, signature_b64: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature_b64, validate=True), message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


def authorization(mchid: str, serial_no: str, private_key: rsa.RSAPrivateKey, method: str, url_path: str,
                  body: str, timestamp: str, nonce: str) -> str:
    signature = sign(private_key, request_message(method, url_path, timestamp, nonce, body))
    return (
        f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce}",signature="{signature}",'
        f'timestamp="{timestamp}",serial_no="{serial_no}"'
    )


_AUTH_PARAM = re.compile(r'(\w+)="([^"]*)"')


def parse_authorization(header: str) -> dict[str, str]:
    """The parameters of an Authorization header (used by the protocol's server side)."""
    schema, _, rest = header.partition(" ")
    if schema != SCHEMA:
        raise ValueError(f"unsupported authorization schema {schema!r}")
    return dict(_AUTH_PARAM.findall(rest))


def decrypt(apiv3_key: bytes, nonce: str, ciphertext_b64: str, associated_data: str | None) -> bytes:
    """AEAD_AES_256_GCM: the ciphertext carries the 16-byte tag at its end. Raises ValueError."""
    try:
        return AESGCM(apiv3_key).decrypt(
            nonce.encode("utf-8"), base64.b64decode(ciphertext_b64), (associated_data or "").encode("utf-8") or None
        )
    except (InvalidTag, ValueError) as exc:
        raise ValueError("resource cannot be decrypted with the APIv3 key") from exc


def encrypt(apiv3_key: bytes, nonce: str, plaintext: bytes, associated_data: str | None) -> str:
    return base64.b64encode(
        AESGCM(apiv3_key).encrypt(nonce.encode("utf-8"), plaintext, (associated_data or "").encode("utf-8") or None)
    ).decode()


def load_private_key(pem: bytes) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key(pem, password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the merchant key must be an RSA private key")
    return key


def load_platform_keys(pem: bytes, public_key_id: str | None = None) -> dict[str, rsa.RSAPublicKey]:
    """Platform certificates (one or more PEM blocks, keyed by their serial in upper-case hex) or a
    platform public key (keyed by ``public_key_id``, WeChat's newer "PUB_KEY_ID_..." mode)."""
    keys: dict[str, rsa.RSAPublicKey] = {}
    if b"BEGIN CERTIFICATE" in pem:
        for cert in x509.load_pem_x509_certificates(pem):
            pub = cert.public_key()
            if isinstance(pub, rsa.RSAPublicKey):
                keys[cert_serial(cert)] = pub
    if b"BEGIN PUBLIC KEY" in pem:
        if not public_key_id:
            raise ValueError("a platform public key needs its public key id")
        pub = serialization.load_pem_public_key(pem)
        if not isinstance(pub, rsa.RSAPublicKey):
            raise ValueError("the platform key must be RSA")
        keys[public_key_id] = pub
    if not keys:
        raise ValueError("no platform certificate or public key found")
    return keys


def cert_serial(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "X")
