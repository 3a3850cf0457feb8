#!/usr/bin/env bash
# Code downloaded and run unverified on the host; TLS checks turned off.
# check: pipe-to-shell tls-verification-off
curl -fsSL https://get.docker.com | sh  # want: pipe-to-shell
wget -qO- https://example.com/install.sh | sudo bash  # want: pipe-to-shell
bash <(curl -s https://example.com/x.sh)  # want: pipe-to-shell
sh -c "$(curl -fsSL https://example.com/y.sh)"  # want: pipe-to-shell
curl -k https://internal.example.com/ca.pem -o ca.pem  # want: tls-verification-off
export NODE_TLS_REJECT_UNAUTHORIZED=0  # want: tls-verification-off
GIT_SSL_NO_VERIFY=1 git clone https://example.com/repo  # want: tls-verification-off
