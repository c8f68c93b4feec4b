#!/bin/sh
# The self-signed certificate the stand-in Hub serves https:// with in the proxy tests
# (test/fixtures/tls): host names only the stand-in proxy can reach, valid for 100 years.
# A test key for 127.0.0.1 servers; it protects nothing.
set -e
out="$(dirname "$0")/../test/fixtures/tls"
mkdir -p "$out"
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 36500 \
  -keyout "$out/standin.key" -out "$out/standin.crt" \
  -subj "/CN=hub.invalid" -addext "subjectAltName=DNS:hub.invalid,DNS:cdn.invalid,IP:127.0.0.1"
