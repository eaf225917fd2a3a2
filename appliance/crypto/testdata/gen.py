#!/usr/bin/env python3
"""Regenerates the cross-implementation test vectors of keywarden-crypto with pyca/cryptography
(OpenSSL). Keys are random on each run; the Rust tests read everything from these files, so
rerunning this script keeps them consistent. Usage: python3 gen.py (in this directory)."""
import datetime

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

MSG = b"keywarden test message"
DER = serialization.Encoding.DER
NOENC = serialization.NoEncryption()


def w(name, data):
    with open(name, "wb") as f:
        f.write(data)


rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
w("rsa2048.pkcs8.der", rsa_key.private_bytes(DER, serialization.PrivateFormat.PKCS8, NOENC))
w("rsa2048.pkcs1.der", rsa_key.private_bytes(DER, serialization.PrivateFormat.TraditionalOpenSSL, NOENC))
pub = rsa_key.public_key()
w("rsa2048.spki.der", pub.public_bytes(DER, serialization.PublicFormat.SubjectPublicKeyInfo))
w("rsa2048.pub.pkcs1.der", pub.public_bytes(DER, serialization.PublicFormat.PKCS1))
w("rsa2048.pkcs1v15-sha256.sig", rsa_key.sign(MSG, padding.PKCS1v15(), hashes.SHA256()))
w("rsa2048.pss-sha384.sig", rsa_key.sign(
    MSG, padding.PSS(mgf=padding.MGF1(hashes.SHA384()), salt_length=48), hashes.SHA384()))
w("rsa2048.oaep-sha256-label.bin", pub.encrypt(MSG, padding.OAEP(
    mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=b"label")))
w("rsa2048.oaep-sha1.bin", pub.encrypt(MSG, padding.OAEP(
    mgf=padding.MGF1(hashes.SHA1()), algorithm=hashes.SHA1(), label=None)))
n = rsa_key.private_numbers()
w("rsa2048.components.txt", "\n".join("%x" % v for v in [
    n.public_numbers.n, n.public_numbers.e, n.d, n.p, n.q, n.dmp1, n.dmq1, n.iqmp]).encode() + b"\n")

for name, curve, h in [("p256", ec.SECP256R1(), hashes.SHA256()), ("p384", ec.SECP384R1(), hashes.SHA384())]:
    k = ec.generate_private_key(curve)
    w(name + ".pkcs8.der", k.private_bytes(DER, serialization.PrivateFormat.PKCS8, NOENC))
    w(name + ".sec1.der", k.private_bytes(DER, serialization.PrivateFormat.TraditionalOpenSSL, NOENC))
    w(name + ".spki.der", k.public_key().public_bytes(DER, serialization.PublicFormat.SubjectPublicKeyInfo))
    w(name + ".point.bin", k.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    size = curve.key_size // 8
    w(name + ".scalar.bin", k.private_numbers().private_value.to_bytes(size, "big"))
    w(name + ".ecdsa.sig", k.sign(MSG, ec.ECDSA(h)))

issuer_key = ec.generate_private_key(ec.SECP256R1())
subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Keywarden"),
                     x509.NameAttribute(NameOID.COMMON_NAME, "crypto test")])
issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test ca")])
cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
        .public_key(rsa_key.public_key()).serial_number(0x1234ABCD)
        .not_valid_before(datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc))
        .not_valid_after(datetime.datetime(2034, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc))
        .sign(issuer_key, hashes.SHA256()))
w("cert-rsa.der", cert.public_bytes(DER))
