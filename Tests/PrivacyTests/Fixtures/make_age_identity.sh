#!/bin/sh
# Writes age-identity.txt: an X25519 key pair made by the `age` tool (Debian package `age`),
# used by AgeCrossCheckTests to check Verdant's Bech32 and X25519 code against another
# implementation: decoding age's AGE-SECRET-KEY-1… and re-encoding its public key must give
# exactly the age1… recipient that age-keygen printed. A throwaway test key; never use it.
set -eu
cd "$(dirname "$0")"
age-keygen -o age-identity.txt.new 2>/dev/null
mv age-identity.txt.new age-identity.txt
age --version > age-version.txt
