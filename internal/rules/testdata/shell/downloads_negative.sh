#!/usr/bin/env bash
# Downloads verified before they run, and downloads that are not run.
# negative: pipe-to-shell tls-verification-off
curl -fsSLo install.sh https://example.com/install.sh
echo "0123456789abcdef  install.sh" | sha256sum -c -
sh install.sh
curl -fsSL https://example.com/data.json | jq .
wget -O - https://example.com/notes.txt | tee notes.txt
