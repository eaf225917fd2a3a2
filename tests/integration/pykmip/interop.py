#!/usr/bin/env python3
"""PyKMIP interoperability check against a running `kmsd dev`.

Run by tests/integration/tests/pykmip.rs inside the venv it creates (target/pykmip-venv):

    python interop.py --host 127.0.0.1 --port 5696 --cert admin.crt --key admin.key \
        --ca ca.crt --version 1.2

Exercises, with PyKMIP's ProxyKmipClient at the given protocol version: Create AES-256,
Register a symmetric key, Get, Locate by name, Activate, Encrypt/Decrypt (AES-CBC PKCS5,
server-chosen IV, cross-checked locally with `cryptography`), Create RSA-2048 key pair,
Sign/Verify (RSA-PSS SHA-256, cross-checked locally), Revoke, Destroy. Exits 1 with a clear
message on the first mismatch.
"""

import argparse
import os
import sys
import traceback

from cryptography.hazmat.primitives import hashes, padding as sym_padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from kmip import enums
from kmip.core.factories import attributes as attribute_factory
from kmip.pie import exceptions as pie_exceptions
from kmip.pie import objects
from kmip.pie.client import ProxyKmipClient

VERSIONS = {
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}


class Mismatch(Exception):
    """A server answer that differs from what KMIP (or the local check) expects."""


def check(cond, what):
    if not cond:
        raise Mismatch(what)


def expect_failure(what, fn, *args, **kwargs):
    """The call must fail with a KMIP operation failure, not succeed."""
    try:
        fn(*args, **kwargs)
    except pie_exceptions.KmipOperationFailure as e:
        print(f"  ok  {what} refused: {e.reason}")
        return
    raise Mismatch(f"{what}: expected a KMIP failure, the server succeeded")


def run(args):
    version = VERSIONS[args.version]
    tag = f"interop-{args.version}-{os.urandom(4).hex()}"
    print(f"PyKMIP interop, KMIP {args.version}, names prefixed {tag}")
    client = ProxyKmipClient(
        hostname=args.host,
        port=args.port,
        cert=args.cert,
        key=args.key,
        ca=args.ca,
        config_file="/dev/null",
        kmip_version=version,
    )
    client.open()
    try:
        exercise(client, tag)
    finally:
        client.close()


def exercise(c, tag):
    enc_dec = [enums.CryptographicUsageMask.ENCRYPT, enums.CryptographicUsageMask.DECRYPT]

    # Create AES-256.
    uid = c.create(
        enums.CryptographicAlgorithm.AES, 256, name=f"{tag}-aes", cryptographic_usage_mask=enc_dec
    )
    check(isinstance(uid, str) and uid, f"Create returned no identifier: {uid!r}")
    print(f"  ok  Create AES-256 -> {uid}")

    # Register a known symmetric key, then Get it back.
    material = os.urandom(32)
    secret = objects.SymmetricKey(
        enums.CryptographicAlgorithm.AES, 256, material, masks=enc_dec, name=f"{tag}-registered"
    )
    rid = c.register(secret)
    check(isinstance(rid, str) and rid and rid != uid, f"Register returned {rid!r}")
    print(f"  ok  Register symmetric key -> {rid}")
    got = c.get(rid)
    check(isinstance(got, objects.SymmetricKey), f"Get returned {type(got).__name__}")
    check(got.value == material, "Get returned different key material than registered")
    check(got.cryptographic_length == 256, f"Get: length {got.cryptographic_length}")
    print("  ok  Get returns the registered material")

    # Locate by name.
    factory = attribute_factory.AttributeFactory()
    found = c.locate(attributes=[factory.create_attribute(enums.AttributeType.NAME, f"{tag}-registered")])
    check(found == [rid], f"Locate by name returned {found!r}, expected [{rid!r}]")
    found = c.locate(attributes=[factory.create_attribute(enums.AttributeType.NAME, f"{tag}-aes")])
    check(found == [uid], f"Locate by name returned {found!r}, expected [{uid!r}]")
    print("  ok  Locate by name")

    # A Pre-Active key must not encrypt; Activate, then it must.
    cbc = {
        "cryptographic_algorithm": enums.CryptographicAlgorithm.AES,
        "block_cipher_mode": enums.BlockCipherMode.CBC,
        "padding_method": enums.PaddingMethod.PKCS5,
        "random_iv": True,
    }
    plaintext = b"keywarden interop: " + os.urandom(21)
    expect_failure("Encrypt with a Pre-Active key", c.encrypt, plaintext, uid=uid, cryptographic_parameters=cbc)
    c.activate(uid)
    c.activate(rid)
    print("  ok  Activate")

    ciphertext, iv = c.encrypt(plaintext, uid=uid, cryptographic_parameters=cbc)
    check(iv is not None and len(iv) == 16, f"Encrypt returned IV {iv!r}")
    check(ciphertext != plaintext and len(ciphertext) % 16 == 0, "Encrypt output is not CBC ciphertext")
    back = c.decrypt(ciphertext, uid=uid, cryptographic_parameters=cbc, iv_counter_nonce=iv)
    check(back == plaintext, "Decrypt(Encrypt(p)) != p with the created key")
    print("  ok  Encrypt/Decrypt AES-CBC-PKCS5 (created key)")

    # Re-key: a new key replaces the created one; what the old key encrypted still decrypts.
    new = c.rekey(uid=uid, offset=0)
    check(new and new != uid, f"Re-key returned {new!r} for {uid!r}")
    ciphertext2, iv2 = c.encrypt(plaintext, uid=new, cryptographic_parameters=cbc)
    back = c.decrypt(ciphertext2, uid=new, cryptographic_parameters=cbc, iv_counter_nonce=iv2)
    check(back == plaintext, "Decrypt(Encrypt(p)) != p with the re-keyed key")
    back = c.decrypt(ciphertext, uid=uid, cryptographic_parameters=cbc, iv_counter_nonce=iv)
    check(back == plaintext, "the old key no longer decrypts what it encrypted before Re-key")
    print(f"  ok  Re-key {uid} -> {new}")

    # With the registered key the result can be checked locally.
    ciphertext, iv = c.encrypt(plaintext, uid=rid, cryptographic_parameters=cbc)
    decryptor = Cipher(algorithms.AES(material), modes.CBC(iv)).decryptor()
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = sym_padding.PKCS7(128).unpadder()
    check(unpadder.update(padded) + unpadder.finalize() == plaintext, "server CBC ciphertext does not decrypt locally")
    print("  ok  server ciphertext decrypts locally with the registered key")

    # RSA key pair, sign / verify.
    pub, priv = c.create_key_pair(
        enums.CryptographicAlgorithm.RSA,
        2048,
        public_name=f"{tag}-rsa-pub",
        public_usage_mask=[enums.CryptographicUsageMask.VERIFY],
        private_name=f"{tag}-rsa-priv",
        private_usage_mask=[enums.CryptographicUsageMask.SIGN],
    )
    check(pub and priv and pub != priv, f"Create Key Pair returned {pub!r}, {priv!r}")
    print(f"  ok  Create Key Pair RSA-2048 -> {pub}, {priv}")
    c.activate(pub)
    c.activate(priv)
    pss = {
        "cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
        "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
        "padding_method": enums.PaddingMethod.PSS,
    }
    message = b"signed by keywarden " + os.urandom(8)
    signature = c.sign(message, uid=priv, cryptographic_parameters=pss)
    check(isinstance(signature, bytes) and len(signature) == 256, f"Sign returned {len(signature or b'')} bytes")
    valid = c.signature_verify(message, signature, uid=pub, cryptographic_parameters=pss)
    check(valid == enums.ValidityIndicator.VALID, f"Signature Verify of a good signature: {valid}")
    invalid = c.signature_verify(message + b"!", signature, uid=pub, cryptographic_parameters=pss)
    check(invalid == enums.ValidityIndicator.INVALID, f"Signature Verify of a wrong message: {invalid}")
    public = c.get(pub)
    check(isinstance(public, objects.PublicKey), f"Get(public) returned {type(public).__name__}")
    local_key = serialization.load_der_public_key(public.value)
    local_key.verify(
        signature,
        message,
        asym_padding.PSS(mgf=asym_padding.MGF1(hashes.SHA256()), salt_length=asym_padding.PSS.AUTO),
        hashes.SHA256(),
    )
    print("  ok  Sign/Verify RSA-PSS-SHA256 (server and local verification)")

    # Revoke: the key may no longer encrypt; then Destroy everything.
    for ident in (uid, new, rid, pub, priv):
        c.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, ident, revocation_message="interop done")
    expect_failure("Encrypt with a revoked key", c.encrypt, plaintext, uid=uid, cryptographic_parameters=cbc)
    print("  ok  Revoke")
    for ident in (uid, new, rid, pub, priv):
        c.destroy(ident)
    expect_failure("Get of a destroyed key", c.get, rid)
    print("  ok  Destroy")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5696)
    parser.add_argument("--cert", required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--ca", required=True)
    parser.add_argument("--version", choices=sorted(VERSIONS), required=True)
    args = parser.parse_args()
    try:
        run(args)
    except Mismatch as e:
        print(f"INTEROP MISMATCH (KMIP {args.version}): {e}", file=sys.stderr)
        return 1
    except Exception as e:  # any client-side failure is a failed interop run
        traceback.print_exc()
        print(f"INTEROP FAILURE (KMIP {args.version}): {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"PyKMIP interop KMIP {args.version}: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
