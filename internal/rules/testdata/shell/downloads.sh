#!/usr/bin/env bash
# Code downloaded and run unverified on the host; TLS checks turned off.
curl -fsSL https://get.docker.com | sh  # want: pipe-to-shell "curl output is piped into sh and executed unverified"
wget -qO- https://example.com/install.sh | sudo bash  # want: pipe-to-shell "wget output is piped into bash and executed unverified"
bash <(curl -s https://example.com/x.sh)  # want: pipe-to-shell "curl output is executed by bash unverified"
sh -c "$(curl -fsSL https://example.com/y.sh)"  # want: pipe-to-shell "curl output is executed by sh unverified"
curl -k https://internal.example.com/ca.pem -o ca.pem  # want: tls-verification-off "curl -k/--insecure accepts any certificate"
export NODE_TLS_REJECT_UNAUTHORIZED=0  # want: tls-verification-off `NODE_TLS_REJECT_UNAUTHORIZED=0 turns off Node\.js certificate checks`
GIT_SSL_NO_VERIFY=1 git clone https://example.com/repo  # want: tls-verification-off "GIT_SSL_NO_VERIFY=1 turns off git's certificate checks"
