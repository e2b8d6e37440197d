#!/usr/bin/env python3
"""Test vectors for the Verdant sealed file format v1 (docs/sealed-format.md).

An independent implementation of the format, written from the spec: it shares no code with
Verdant's Swift module. Primitives come from the `cryptography` package (X25519, HKDF-SHA256,
HMAC-SHA256, AES-256-GCM, scrypt); HPKE (RFC 9180, base mode, DHKEM(X25519, HKDF-SHA256),
HKDF-SHA256, AES-256-GCM) and Bech32 (BIP 173) are written out below.

Every key, salt and ephemeral key is fixed, so running this again gives the same bytes:

    python3 Tests/PrivacyTests/Fixtures/make_vectors.py   # rewrites Fixtures/vectors/

Writes one file per vector and vectors/manifest.json with each vector's keys and expected outcome.

The other direction — this implementation opening what Verdant wrote — is checked with

    python3 Tests/PrivacyTests/Fixtures/make_vectors.py --open FILE (--key-file K | --identity F | --passphrase P)

which prints the content type and the plaintext's SHA-256 and length, or the reason it refuses;
`make_vectors.py --check` opens every vector with this file's reader and compares with the manifest.
Requires: python3, cryptography (tested with 48.0.0).
"""

import hashlib
import hmac
import json
import os
import re
import struct
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "vectors")

MAGIC = bytes([0x89, 0x56, 0x53, 0x45, 0x41, 0x4C, 0x0D, 0x0A])
TAG = 16


# ----------------------------------------------------------------------------------------------
# Primitives
# ----------------------------------------------------------------------------------------------

def hkdf(ikm, salt, info, length=32):
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt or None, info=info).derive(ikm)


def hmac_sha256(key, msg):
    return hmac.new(key, msg, hashlib.sha256).digest()


def hkdf_extract(salt, ikm):
    return hmac_sha256(salt if salt else b"\x00" * 32, ikm)


def hkdf_expand(prk, info, length):
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac_sha256(prk, block + info + bytes([counter]))
        out += block
        counter += 1
    return out[:length]


def x25519_public(private_bytes):
    key = X25519PrivateKey.from_private_bytes(private_bytes)
    return key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def x25519(private_bytes, public_bytes):
    return X25519PrivateKey.from_private_bytes(private_bytes).exchange(X25519PublicKey.from_public_bytes(public_bytes))


# ----------------------------------------------------------------------------------------------
# HPKE, RFC 9180: base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM
# ----------------------------------------------------------------------------------------------

KEM_ID, KDF_ID, AEAD_ID = 0x0020, 0x0001, 0x0002
KEM_SUITE = b"KEM" + struct.pack(">H", KEM_ID)
HPKE_SUITE = b"HPKE" + struct.pack(">HHH", KEM_ID, KDF_ID, AEAD_ID)


def labeled_extract(suite, salt, label, ikm):
    return hkdf_extract(salt, b"HPKE-v1" + suite + label + ikm)


def labeled_expand(suite, prk, label, info, length):
    return hkdf_expand(prk, struct.pack(">H", length) + b"HPKE-v1" + suite + label + info, length)


def hpke_key_schedule(dh, enc, recipient_public, info):
    kem_context = enc + recipient_public
    eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    shared_secret = labeled_expand(KEM_SUITE, eae_prk, b"shared_secret", kem_context, 32)
    psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash  # mode_base
    secret = labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"")
    return labeled_expand(HPKE_SUITE, secret, b"key", context, 32), labeled_expand(HPKE_SUITE, secret, b"base_nonce", context, 12)


def hpke_open_base(recipient_private, enc, info, aad, ciphertext):
    """SetupBaseR + the first Open."""
    key, base_nonce = hpke_key_schedule(x25519(recipient_private, enc), enc, x25519_public(recipient_private), info)
    return AESGCM(key).decrypt(base_nonce, ciphertext, aad)


def hpke_seal_base(recipient_public, info, aad, plaintext, ephemeral_private):
    """SetupBaseS + the first Seal, with a given ephemeral key (so the output is reproducible)."""
    enc = x25519_public(ephemeral_private)
    dh = x25519(ephemeral_private, recipient_public)
    kem_context = enc + recipient_public
    eae_prk = labeled_extract(KEM_SUITE, b"", b"eae_prk", dh)
    shared_secret = labeled_expand(KEM_SUITE, eae_prk, b"shared_secret", kem_context, 32)
    psk_id_hash = labeled_extract(HPKE_SUITE, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(HPKE_SUITE, b"", b"info_hash", info)
    context = b"\x00" + psk_id_hash + info_hash  # mode_base
    secret = labeled_extract(HPKE_SUITE, shared_secret, b"secret", b"")
    key = labeled_expand(HPKE_SUITE, secret, b"key", context, 32)
    base_nonce = labeled_expand(HPKE_SUITE, secret, b"base_nonce", context, 12)
    return enc, AESGCM(key).encrypt(base_nonce, plaintext, aad)  # sequence number 0


# ----------------------------------------------------------------------------------------------
# Bech32, BIP 173 (no length limit)
# ----------------------------------------------------------------------------------------------

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for value in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            chk ^= generator[i] if ((top >> i) & 1) else 0
    return chk


def bech32_encode(hrp, data_bytes):
    acc, bits, groups = 0, 0, []
    for byte in data_bytes:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            groups.append((acc >> bits) & 31)
    if bits:
        groups.append((acc << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = bech32_polymod(expanded + groups + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(CHARSET[g] for g in groups + checksum)


def bech32_decode(text):
    lower = text.strip().lower()
    sep = lower.rfind("1")
    hrp, groups = lower[:sep], [CHARSET.index(c) for c in lower[sep + 1:]]
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    if bech32_polymod(expanded + groups) != 1:
        raise ValueError("bad Bech32 checksum")
    acc, bits, out = 0, 0, []
    for group in groups[:-6]:
        acc = (acc << 5) | group
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 255)
    return hrp, bytes(out)


# ----------------------------------------------------------------------------------------------
# The format
# ----------------------------------------------------------------------------------------------

def stanza(kind, body):
    return bytes([kind]) + struct.pack(">H", len(body)) + body


def keyfile_stanza(key, salt, file_key):
    wrap = hkdf(key, salt, b"verdant-sealed/v1 key-file")
    return stanza(0x03, salt + AESGCM(wrap).encrypt(b"\x00" * 12, file_key, b""))


def passphrase_stanza(passphrase, salt, log2n, r, p, file_key):
    wrap = Scrypt(salt=b"verdant-sealed/v1 scrypt" + salt, length=32, n=2 ** log2n, r=r, p=p).derive(passphrase.encode())
    return stanza(0x02, salt + bytes([log2n, r, p]) + AESGCM(wrap).encrypt(b"\x00" * 12, file_key, b""))


def x25519_stanza(recipient_public, ephemeral_private, file_key):
    enc, wrapped = hpke_seal_base(recipient_public, b"verdant-sealed/v1 x25519", b"", file_key, ephemeral_private)
    return stanza(0x01, enc + wrapped)


def header(file_key, exponent, payload_salt, content_type, stanzas, version=1, length_delta=0, mac=True):
    body = payload_salt + bytes([len(content_type)]) + content_type.encode() + bytes([len(stanzas)]) + b"".join(stanzas)
    total = 12 + len(body) + 32
    start = MAGIC + bytes([version, exponent]) + struct.pack(">H", total + length_delta) + body
    header_key = hkdf(file_key, b"", b"verdant-sealed/v1 header")
    return start + (hmac_sha256(header_key, start) if mac else b"\x00" * 32)


def nonce(index, last):
    return index.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def chunks_of(plaintext, exponent):
    size = 1 << exponent
    if not plaintext:
        return [b""]
    return [plaintext[i:i + size] for i in range(0, len(plaintext), size)]


def payload(file_key, payload_salt, plaintext, exponent, last_flags=None):
    key = AESGCM(hkdf(file_key, payload_salt, b"verdant-sealed/v1 payload"))
    pieces = chunks_of(plaintext, exponent)
    flags = last_flags or [i == len(pieces) - 1 for i in range(len(pieces))]
    return [key.encrypt(nonce(i, flags[i]), piece, b"") for i, piece in enumerate(pieces)]


def seq(n, start=0):
    """Deterministic bytes (start, start+1, ...) mod 256."""
    return bytes((start + i) % 256 for i in range(n))


# ----------------------------------------------------------------------------------------------
# Keys (test only)
# ----------------------------------------------------------------------------------------------

KEY = seq(32)  # 000102...1f
WRONG_KEY = seq(32, 0x80)
PASSPHRASE = "correct horse battery staple"
X25519_PRIVATE = hashlib.sha256(b"verdant test identity 1").digest()
OTHER_PRIVATE = hashlib.sha256(b"verdant test identity 2").digest()
EPHEMERAL = hashlib.sha256(b"verdant test ephemeral").digest()
EPHEMERAL_2 = hashlib.sha256(b"verdant test ephemeral 2").digest()
FORGED_FILE_KEY = hashlib.sha256(b"verdant test forged file key").digest()
FILE_KEY = hashlib.sha256(b"verdant test file key").digest()
PAYLOAD_SALT = hashlib.sha256(b"verdant test payload salt").digest()
STANZA_SALT = hashlib.sha256(b"verdant test stanza salt").digest()[:16]

CSV = b"sepal_length,sepal_width,petal_length,petal_width,species\n5.1,3.5,1.4,0.2,setosa\n7.0,3.2,4.7,1.4,versicolor\n6.3,3.3,6.0,2.5,virginica\n"


def identity_string(private):
    return bech32_encode("verdant-secret-key-", private).upper()


def recipient_string(private):
    return bech32_encode("verdant", x25519_public(private))


def scrypt_parameters_valid(log2n, r, p):
    """The format's scrypt parameters: 1 <= log2 N <= 30, 1 <= r <= 16, 1 <= p <= 16, and RFC 7914's N < 2^(16 r)."""
    return 1 <= log2n <= 30 and 1 <= r <= 16 and 1 <= p <= 16 and log2n < 16 * r


def open_sealed(data, keys=(), passphrases=(), identities=()):
    """Opens a sealed file as docs/sealed-format.md says; returns (content type, plaintext) or raises."""
    from cryptography.exceptions import InvalidTag

    if data[:8] != MAGIC:
        raise ValueError("not a sealed file")
    if data[8] != 1:
        raise ValueError(f"unsupported version {data[8]}")
    exponent, total = data[9], struct.unpack(">H", data[10:12])[0]
    if len(data) < total:
        raise ValueError("header truncated")
    if not 10 <= exponent <= 24:
        raise ValueError("malformed header: chunk exponent out of range")
    payload_salt, type_length = data[12:44], data[44]
    content_type = data[45:45 + type_length].decode(errors="replace")
    if not re.fullmatch(r"[a-z0-9][a-z0-9.+-]*/[a-z0-9][a-z0-9.+-]*", content_type) or type_length > 127:
        raise ValueError("malformed header: content type")
    offset = 45 + type_length
    count, offset = data[offset], offset + 1
    if not 1 <= count <= 64:
        raise ValueError("malformed header: stanza count")
    stanzas = []
    for _ in range(count):
        kind, length = data[offset], struct.unpack(">H", data[offset + 1:offset + 3])[0]
        stanzas.append((kind, data[offset + 3:offset + 3 + length]))
        offset += 3 + length
    if offset != total - 32:
        raise ValueError("malformed header")
    # Stanzas that stand alone: a passphrase (02) or key-file (03) stanza is the only stanza, and well formed.
    if any(kind in (0x02, 0x03) for kind, _ in stanzas):
        if len(stanzas) != 1:
            raise ValueError("malformed header: a passphrase or key-file stanza shares the header")
        kind, body = stanzas[0]
        if kind == 0x02 and (len(body) != 67 or not scrypt_parameters_valid(body[16], body[17], body[18])):
            raise ValueError("malformed header: bad passphrase stanza")
        if kind == 0x03 and len(body) != 64:
            raise ValueError("malformed header: bad key-file stanza")
    # Opening: stanzas in file order, each with every identity of its kind; a key under which the
    # header MAC fails does not end the search. Precedence: MAC failed > work limit > no match.
    mac_failed, over_limit = False, False
    file_key = None
    for kind, body in stanzas:
        candidates = []
        if kind == 0x01 and len(body) == 80:
            candidates = [lambda sk=sk: hpke_open_base(sk, body[:32], b"verdant-sealed/v1 x25519", b"", body[32:]) for sk in identities]
        elif kind == 0x02:
            log2n, r, p = body[16], body[17], body[18]
            if passphrases and (1 << log2n) * r * p > (1 << 20) * 8:
                over_limit = True
                continue
            candidates = [lambda pw=pw: AESGCM(Scrypt(salt=b"verdant-sealed/v1 scrypt" + body[:16], length=32, n=1 << log2n, r=r,
                                                      p=p).derive(pw.encode())).decrypt(b"\x00" * 12, body[19:], b"")
                          for pw in passphrases]
        elif kind == 0x03:
            candidates = [lambda k=k: AESGCM(hkdf(k, body[:16], b"verdant-sealed/v1 key-file")).decrypt(b"\x00" * 12, body[16:], b"")
                          for k in keys]
        for candidate in candidates:
            try:
                key = candidate()
            except InvalidTag:
                continue
            mac = hmac_sha256(hkdf(key, b"", b"verdant-sealed/v1 header"), data[:total - 32])
            if hmac.compare_digest(mac, data[total - 32:total]):
                file_key = key
                break
            mac_failed = True
        if file_key:
            break
    if file_key is None:
        if mac_failed:
            raise ValueError("header MAC mismatch")
        if over_limit:
            raise ValueError("scrypt work above the limit")
        raise ValueError("no identity opens the file")
    aead = AESGCM(hkdf(file_key, payload_salt, b"verdant-sealed/v1 payload"))
    size, position, index, out = (1 << exponent) + 16, total, 0, []
    while True:
        rest = len(data) - position
        length = min(size, rest)
        last = rest <= size
        out.append(aead.decrypt(nonce(index, last), data[position:position + length], b""))
        if last and index > 0 and length == 16:
            raise ValueError("empty final chunk after full chunks")
        position += length
        index += 1
        if last:
            return content_type, b"".join(out)


def check_vectors():
    """Opens every vector with open_sealed (this file's reader) and compares success or failure with the
    manifest: the reader and the writer of this file agree with each other."""
    manifest = json.load(open(os.path.join(OUT, "manifest.json")))
    table = manifest["identities"]
    mismatches = 0
    for vector in manifest["vectors"]:
        keys, passphrases, identities = [], [], []
        for name in vector["identities"]:
            entry = table[name]
            if entry["kind"] == "key":
                keys.append(bytes.fromhex(entry["hex"]))
            elif entry["kind"] == "passphrase":
                passphrases.append(entry["text"])
            else:
                identities.append(bech32_decode(entry["identity"])[1])
        try:
            open_sealed(open(os.path.join(OUT, vector["file"]), "rb").read(), keys, passphrases, identities)
            opened = True
        except Exception:  # any refusal
            opened = False
        if opened != (vector["expect"] == "success"):
            mismatches += 1
            print(f"mismatch: {vector['file']} expects {vector['expect']}", file=sys.stderr)
    print(f"checked {len(manifest['vectors'])} vectors: {mismatches} mismatches")
    return mismatches == 0


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--check":
        sys.exit(0 if check_vectors() else 1)
    if len(sys.argv) > 1 and sys.argv[1] == "--open":
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--open", required=True)
        parser.add_argument("--key-file", action="append", default=[])
        parser.add_argument("--identity", action="append", default=[])
        parser.add_argument("--passphrase", action="append", default=[])
        args = parser.parse_args()
        keys = []
        for path in args.key_file:
            raw = open(path, "rb").read()
            keys.append(raw if len(raw) == 32 else bytes.fromhex(raw.decode().strip()))
        identities = []
        for path in args.identity:
            for line in open(path):
                if line.strip() and not line.startswith("#"):
                    identities.append(bech32_decode(line)[1])
        content_type, plaintext = open_sealed(open(args.open, "rb").read(), keys, args.passphrase, identities)
        print(json.dumps({"content_type": content_type, "plaintext_length": len(plaintext),
                          "plaintext_sha256": hashlib.sha256(plaintext).hexdigest()}))
        return
    os.makedirs(OUT, exist_ok=True)
    for name in os.listdir(OUT):
        os.remove(os.path.join(OUT, name))
    vectors = []

    def add(name, data, expect, identities, note, plaintext=None, content_type=None, exponent=None, chunk=None):
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)
        entry = {"file": name, "identities": identities, "expect": expect, "note": note}
        if plaintext is not None:
            entry["plaintext_length"] = len(plaintext)
            entry["plaintext_sha256"] = hashlib.sha256(plaintext).hexdigest()
        if content_type is not None:
            entry["content_type"] = content_type
        if exponent is not None:
            entry["chunk_size"] = 1 << exponent
        if chunk is not None:
            entry["chunk"] = chunk
        vectors.append(entry)

    def sealed(plaintext, exponent, content_type, stanzas, **kw):
        flags = kw.pop("last_flags", None)
        h = header(FILE_KEY, exponent, PAYLOAD_SALT, content_type, stanzas, **kw)
        return h, payload(FILE_KEY, PAYLOAD_SALT, plaintext, exponent, flags)

    key_stanza = keyfile_stanza(KEY, STANZA_SALT, FILE_KEY)
    pass_stanza = passphrase_stanza(PASSPHRASE, STANZA_SALT, 10, 8, 1, FILE_KEY)
    x_stanza = x25519_stanza(x25519_public(X25519_PRIVATE), EPHEMERAL, FILE_KEY)

    # --- success ------------------------------------------------------------------------------
    empty = b""
    h, c = sealed(empty, 10, "application/octet-stream", [key_stanza])
    add("keyfile-empty.sealed", h + b"".join(c), "success", ["key"], "empty plaintext: one empty final chunk",
        empty, "application/octet-stream", 10)

    short = b"hello, verdant\n"
    h, c = sealed(short, 16, "text/plain", [key_stanza])
    short_file = h + b"".join(c)
    add("keyfile-short.sealed", short_file, "success", ["key"], "one short chunk, 64 KiB chunk size", short, "text/plain", 16)

    three = seq(2 * 1024 + 7, 5)
    h3, c3 = sealed(three, 10, "application/octet-stream", [key_stanza])
    add("keyfile-3chunks.sealed", h3 + b"".join(c3), "success", ["key"], "2c + 7 bytes with c = 1 KiB: three chunks",
        three, "application/octet-stream", 10)

    two = seq(2048, 9)
    h2, c2 = sealed(two, 10, "application/octet-stream", [key_stanza])
    add("keyfile-2chunks-exact.sealed", h2 + b"".join(c2), "success", ["key"],
        "exactly 2c bytes: the final chunk is full and there is no empty chunk after it", two, "application/octet-stream", 10)

    h, c = sealed(CSV, 16, "dataset/csv", [pass_stanza])
    add("passphrase.sealed", h + b"".join(c), "success", ["passphrase"], "scrypt log2N = 10, r = 8, p = 1", CSV, "dataset/csv", 16)

    h, c = sealed(CSV, 16, "dataset/csv", [x_stanza])
    x_file = h + b"".join(c)
    add("x25519.sealed", x_file, "success", ["x25519"], "one X25519 (HPKE) recipient", CSV, "dataset/csv", 16)

    model = b'{"kind": "test-model", "weights": [0.25, -1.5, 3.0]}\n' * 40
    other_x_stanza = x25519_stanza(x25519_public(OTHER_PRIVATE), EPHEMERAL_2, FILE_KEY)
    multi = [other_x_stanza, stanza(0x7F, b"a stanza type from the future"), x_stanza]
    h, c = sealed(model, 10, "model/verdant", multi)
    multi_file = h + b"".join(c)
    for who, name in [("x25519", "multi-x25519.sealed"), ("other-x25519", "multi-x25519-other.sealed")]:
        add(name, multi_file, "success", [who],
            "two X25519 stanzas and an unknown type 0x7f (skipped); opened with " + who, model, "model/verdant", 10)

    # scrypt with other block sizes and parallelism than the writer's r = 8, p = 1.
    for name, log2n, r, p in [("passphrase-r1.sealed", 10, 1, 1), ("passphrase-r16-p2.sealed", 10, 16, 2),
                              ("passphrase-r4-p3.sealed", 12, 4, 3)]:
        h, c = sealed(CSV, 16, "dataset/csv", [passphrase_stanza(PASSPHRASE, STANZA_SALT, log2n, r, p, FILE_KEY)])
        add(name, h + b"".join(c), "success", ["passphrase"], f"scrypt log2N = {log2n}, r = {r}, p = {p}", CSV, "dataset/csv", 16)

    # A stanza that gives a key under which the header MAC fails does not end the search.
    forged = x25519_stanza(x25519_public(X25519_PRIVATE), EPHEMERAL_2, FORGED_FILE_KEY)
    h, c = sealed(CSV, 16, "dataset/csv", [forged, x_stanza])
    add("forged-stanza-first.sealed", h + b"".join(c), "success", ["x25519"],
        "a first X25519 stanza wraps another file key for the same identity (the header MAC fails under it); the second opens",
        CSV, "dataset/csv", 16)

    # --- wrong keys -----------------------------------------------------------------------------
    add("wrong-key.sealed", short_file, "no-match", ["wrong-key"], "keyfile-short.sealed with another key")
    h, c = sealed(CSV, 16, "dataset/csv", [pass_stanza])
    add("wrong-passphrase.sealed", h + b"".join(c), "no-match", ["wrong-passphrase"], "passphrase.sealed, wrong passphrase")
    add("other-identity.sealed", x_file, "no-match", ["other-x25519"], "x25519.sealed with another identity")
    add("unknown-stanza-only.sealed",
        header(FILE_KEY, 16, PAYLOAD_SALT, "text/plain", [stanza(0x7F, b"?")]) + b"".join(payload(FILE_KEY, PAYLOAD_SALT, short, 16)),
        "no-match", ["key", "passphrase", "x25519"], "only a stanza of an unknown type")
    broken = bytearray(key_stanza)
    broken[-1] ^= 0x01
    h, c = sealed(short, 16, "text/plain", [bytes(broken)])
    add("stanza-modified.sealed", h + b"".join(c), "no-match", ["key"],
        "the key-file stanza's tag was changed (the MAC is recomputed): the wrap no longer opens")

    # --- header failures ------------------------------------------------------------------------
    add("not-sealed.csv", CSV, "not-sealed", ["key"], "a plain CSV file")
    add("empty-file.sealed", b"", "not-sealed", ["key"], "an empty file")
    add("version-2.sealed", header(FILE_KEY, 16, PAYLOAD_SALT, "text/plain", [key_stanza], version=2) + b"".join(payload(FILE_KEY, PAYLOAD_SALT, short, 16)),
        "unsupported-version", ["key"], "version byte 2")
    add("header-truncated.sealed", short_file[:60], "header-truncated", ["key"], "the first 60 bytes of keyfile-short.sealed")
    add("header-length-short.sealed",
        header(FILE_KEY, 16, PAYLOAD_SALT, "text/plain", [key_stanza], length_delta=-1) + b"".join(payload(FILE_KEY, PAYLOAD_SALT, short, 16)),
        "header-malformed", ["key"], "the header length field is one less than the fields fill")
    add("chunk-exponent-9.sealed",
        header(FILE_KEY, 9, PAYLOAD_SALT, "text/plain", [key_stanza]) + b"".join(payload(FILE_KEY, PAYLOAD_SALT, short, 9)),
        "header-malformed", ["key"], "chunk exponent 9 (512-byte chunks) is below the minimum 10")
    add("no-stanzas.sealed",
        header(FILE_KEY, 16, PAYLOAD_SALT, "text/plain", []) + b"".join(payload(FILE_KEY, PAYLOAD_SALT, short, 16)),
        "header-malformed", ["key"], "a stanza count of 0")
    bad_type = header(FILE_KEY, 16, PAYLOAD_SALT, "Text/Plain", [key_stanza]) + b"".join(payload(FILE_KEY, PAYLOAD_SALT, short, 16))
    add("content-type-invalid.sealed", bad_type, "header-malformed", ["key"], "content type 'Text/Plain' (upper case is not allowed)")
    changed = bytearray(short_file)
    changed[45 + len("text/pla")] = ord("m")  # text/plain -> text/plamn
    add("header-content-type-changed.sealed", bytes(changed), "header-modified", ["key"],
        "content type changed to 'text/plamn' after sealing: the header MAC fails")
    changed = bytearray(short_file)
    changed[12] ^= 0x01
    add("header-salt-changed.sealed", bytes(changed), "header-modified", ["key"], "one bit of the payload salt changed")
    changed = bytearray(short_file)
    header_length = struct.unpack(">H", short_file[10:12])[0]
    changed[header_length - 1] ^= 0x80
    add("header-mac-changed.sealed", bytes(changed), "header-modified", ["key"], "one bit of the header MAC changed")
    work = stanza(0x02, STANZA_SALT + bytes([24, 8, 1]) + seq(48, 3))
    h, c = sealed(short, 16, "text/plain", [work])
    add("work-factor-24.sealed", h + b"".join(c), "work-factor", ["passphrase"],
        "scrypt log2N = 24 (16 GiB): refused before any work under the default limit log2N = 20")

    h, c = sealed(CSV, 16, "dataset/csv", [forged])
    add("forged-stanza-only.sealed", h + b"".join(c), "header-modified", ["x25519"],
        "the only stanza wraps another file key: it opens, but the header MAC fails under that key")

    # Stanzas that stand alone: a passphrase or key-file stanza with any other stanza is malformed.
    mixed = [x_stanza, stanza(0x7F, b"a stanza type from the future"), pass_stanza, key_stanza]
    h, c = sealed(model, 10, "model/verdant", mixed)
    for who in ["x25519", "passphrase", "key"]:
        add(f"mixed-all-kinds-{who}.sealed", h + b"".join(c), "header-malformed", [who],
            "X25519 + unknown + passphrase + key file (the layout of the old multi-*.sealed): refused, opened with " + who)
    for name, stanzas, who, note in [
            ("mixed-passphrase-x25519.sealed", [x_stanza, pass_stanza], "x25519", "X25519 and passphrase stanzas"),
            ("mixed-keyfile-x25519.sealed", [key_stanza, x_stanza], "key", "key-file and X25519 stanzas"),
            ("two-keyfile-stanzas.sealed", [key_stanza, keyfile_stanza(WRONG_KEY, STANZA_SALT, FILE_KEY)], "key", "two key-file stanzas"),
            ("keyfile-unknown-stanza.sealed", [key_stanza, stanza(0x7F, b"?")], "key", "a key-file stanza and an unknown one")]:
        h, c = sealed(short, 16, "text/plain", stanzas)
        add(name, h + b"".join(c), "header-malformed", [who], note + ": a passphrase or key-file stanza must stand alone")

    # Passphrase stanzas outside the format's scrypt parameters are malformed (refused before any work).
    h, c = sealed(CSV, 16, "dataset/csv", [stanza(0x02, STANZA_SALT + bytes([16, 1, 1]) + seq(48, 7))])
    add("passphrase-r1-n16.sealed", h + b"".join(c), "header-malformed", ["passphrase"],
        "scrypt N = 2^16 with r = 1 breaks RFC 7914's N < 2^(16 r)")
    h, c = sealed(CSV, 16, "dataset/csv", [passphrase_stanza(PASSPHRASE, STANZA_SALT, 10, 17, 1, FILE_KEY)])
    add("passphrase-r17.sealed", h + b"".join(c), "header-malformed", ["passphrase"],
        "scrypt r = 17 (valid for RFC 7914, outside the format's 1...16: BoringSSL refuses r > 16 at p = 1)")
    h, c = sealed(CSV, 16, "dataset/csv", [stanza(0x02, STANZA_SALT + bytes([10, 8, 1]) + seq(40, 7))])
    add("passphrase-stanza-short.sealed", h + b"".join(c), "header-malformed", ["passphrase"],
        "a lone passphrase stanza with a 59-byte body (67 expected)")

    twice = [pass_stanza,
             stanza(0x02, STANZA_SALT + bytes([20, 8, 1]) + seq(48, 5))]
    h, c = sealed(short, 16, "text/plain", twice)
    add("two-passphrase-stanzas.sealed", h + b"".join(c), "header-malformed", ["passphrase"],
        "two passphrase stanzas (the first opens): refused before any scrypt work, so a file cannot multiply the work bound")

    # --- payload failures -----------------------------------------------------------------------
    add("empty-payload.sealed", h3, "truncated", ["key"], "the header alone: the file was cut before chunk 0", chunk=-1)
    add("truncated-at-boundary.sealed", h3 + c3[0] + c3[1], "truncated", ["key"],
        "keyfile-3chunks.sealed without its final chunk: chunk 1 is not marked final", chunk=1)
    add("truncated-mid-chunk.sealed", h3 + c3[0] + c3[1] + c3[2][:10], "chunk-failed", ["key"],
        "keyfile-3chunks.sealed cut inside the final chunk", chunk=2)
    add("truncated-short-tag.sealed", h3 + c3[0] + c3[1][:10], "chunk-failed", ["key"],
        "cut 10 bytes into chunk 1: shorter than a tag", chunk=1)
    flipped = bytearray(c3[1])
    flipped[100] ^= 0x04
    add("chunk1-modified.sealed", h3 + c3[0] + bytes(flipped) + c3[2], "chunk-failed", ["key"], "one bit of chunk 1 changed", chunk=1)
    add("chunks-swapped.sealed", h3 + c3[1] + c3[0] + c3[2], "chunk-failed", ["key"], "chunks 0 and 1 swapped", chunk=0)
    add("chunk-duplicated.sealed", h3 + c3[0] + c3[0] + c3[1] + c3[2], "chunk-failed", ["key"], "chunk 0 repeated", chunk=1)
    add("trailing-data.sealed", h2 + c2[0] + c2[1] + b"appended", "trailing-data", ["key"],
        "bytes after a full final chunk (keyfile-2chunks-exact.sealed + 'appended')", chunk=1)
    add("trailing-data-short-final.sealed", h3 + b"".join(c3) + b"appended", "chunk-failed", ["key"],
        "bytes after a short final chunk merge into it: the final chunk fails", chunk=2)
    other_payload = payload(hashlib.sha256(b"another file key").digest(), PAYLOAD_SALT, three, 10)
    add("chunk-from-other-file.sealed", h3 + c3[0] + other_payload[1] + c3[2], "chunk-failed", ["key"],
        "chunk 1 taken from a file with another file key", chunk=1)
    h, c = sealed(two, 10, "application/octet-stream", [key_stanza], last_flags=[False, False])
    add("missing-final-flag.sealed", h + b"".join(c), "truncated", ["key"],
        "no chunk is marked final (as if cut after a chunk boundary)", chunk=1)
    h, c = sealed(two + b"", 10, "application/octet-stream", [key_stanza])
    key = AESGCM(hkdf(FILE_KEY, PAYLOAD_SALT, b"verdant-sealed/v1 payload"))
    c_extra = [key.encrypt(nonce(0, False), two[:1024], b""), key.encrypt(nonce(1, False), two[1024:], b""), key.encrypt(nonce(2, True), b"", b"")]
    add("empty-final-chunk.sealed", h + b"".join(c_extra), "payload-malformed", ["key"],
        "an empty final chunk after full chunks (a writer must mark the last full chunk final)", chunk=2)

    manifest = {
        "format": "Verdant sealed file v1 (docs/sealed-format.md)",
        "made_by": "Tests/PrivacyTests/Fixtures/make_vectors.py (independent Python implementation)",
        "identities": {
            "key": {"kind": "key", "hex": KEY.hex()},
            "wrong-key": {"kind": "key", "hex": WRONG_KEY.hex()},
            "passphrase": {"kind": "passphrase", "text": PASSPHRASE},
            "wrong-passphrase": {"kind": "passphrase", "text": "correct horse battery stapler"},
            "x25519": {"kind": "x25519", "identity": identity_string(X25519_PRIVATE), "recipient": recipient_string(X25519_PRIVATE)},
            "other-x25519": {"kind": "x25519", "identity": identity_string(OTHER_PRIVATE), "recipient": recipient_string(OTHER_PRIVATE)},
        },
        "derivations": {
            "file_key": FILE_KEY.hex(),
            "payload_salt": PAYLOAD_SALT.hex(),
            "header_key": hkdf(FILE_KEY, b"", b"verdant-sealed/v1 header").hex(),
            "payload_key": hkdf(FILE_KEY, PAYLOAD_SALT, b"verdant-sealed/v1 payload").hex(),
            "key_file_wrap_key": hkdf(KEY, STANZA_SALT, b"verdant-sealed/v1 key-file").hex(),
            "stanza_salt": STANZA_SALT.hex(),
        },
        "vectors": vectors,
    }
    with open(os.path.join(OUT, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    print(f"wrote {len(vectors)} vectors to {OUT}")
    if not check_vectors():
        sys.exit("the vectors and this file's reader disagree")


if __name__ == "__main__":
    main()
