package engine_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/testenv"
	"github.com/moby/moby/api/types/container"
)

// pki is a CA with a server and a client certificate, the client's as
// PEM files.
type pki struct {
	ca, cert, key string // --tlscacert, --tlscert, --tlskey
	otherCA       string // a CA that signed nothing here
	server        tls.Certificate
	pool          *x509.CertPool
}

func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	writePEM := func(name, typ string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	serial := int64(0)
	// sign makes a certificate for tmpl, signed by parent (self-signed
	// when parent is nil).
	sign := func(tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, []byte) {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
		if parent == nil {
			parent, parentKey = tmpl, k
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &k.PublicKey, parentKey)
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c, k, der
	}
	ca := func(cn string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	caCert, caKey, caDER := sign(ca("dockguard test CA"), nil, nil)
	_, _, otherDER := sign(ca("another CA"), nil, nil)
	_, clientKey, clientDER := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "client"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, caCert, caKey)
	_, serverKey, serverDER := sign(&x509.Certificate{Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}, caCert, caKey)
	keyDER, err := x509.MarshalECPrivateKey(clientKey)
	if err != nil {
		t.Fatal(err)
	}
	p := &pki{
		ca:      writePEM("ca.pem", "CERTIFICATE", caDER),
		otherCA: writePEM("other-ca.pem", "CERTIFICATE", otherDER),
		cert:    writePEM("cert.pem", "CERTIFICATE", clientDER),
		key:     writePEM("key.pem", "EC PRIVATE KEY", keyDER),
		server:  tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey},
		pool:    x509.NewCertPool(),
	}
	p.pool.AddCert(caCert)
	return p
}

// TestTLS audits a private daemon through a TLS endpoint that demands a
// client certificate, as a dockerd started with --tlsverify does: the
// endpoint terminates TLS and hands each request to the daemon's socket.
// (The daemon itself listens in its own network namespace, out of reach
// of a TCP connection from the test.)
func TestTLS(t *testing.T) {
	t.Parallel()
	d := testenv.Start(t, testenv.Options{})
	buildImages(t, d)
	create(t, d, "web", &container.Config{Image: hardenedImage}, &container.HostConfig{Privileged: true}, nil, false)
	p := newPKI(t)

	sock := strings.TrimPrefix(d.Host, "unix://")
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: "docker"})
	proxy.Transport = &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}
	l, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{
		Certificates: []tls.Certificate{p.server},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    p.pool,
		MinVersion:   tls.VersionTLS12,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Refused handshakes are the point of the test, not news.
	srv := &http.Server{Handler: proxy, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	host := "tcp://" + l.Addr().String()
	ctx := context.Background()

	ok := engine.TLS{Verify: true, CACert: p.ca, Cert: p.cert, Key: p.key}
	snap, err := engine.Load(ctx, engine.Endpoint{Host: host, TLS: ok}, engine.Options{All: true})
	if err != nil {
		t.Fatalf("TLS with a client certificate: %v", err)
	}
	if o := object(snap, "web"); o == nil || !o.Fact.Privileged.V || o.Fact.Subject.Host != host {
		t.Errorf("web not read through TLS: %+v", o)
	}
	for name, bad := range map[string]engine.TLS{
		"no TLS":                 {},
		"no client certificate":  {Verify: true, CACert: p.ca},
		"server signed by other": {Verify: true, CACert: p.otherCA, Cert: p.cert, Key: p.key},
	} {
		if _, err := engine.Load(ctx, engine.Endpoint{Host: host, TLS: bad}, engine.Options{}); err == nil || !strings.Contains(err.Error(), "cannot reach the engine") {
			t.Errorf("%s: %v, want the engine unreachable", name, err)
		}
	}
	if _, err := engine.Load(ctx, engine.Endpoint{Host: host, TLS: engine.TLS{Verify: true, CACert: filepath.Join(t.TempDir(), "missing.pem")}}, engine.Options{}); err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("missing CA file: %v, want a TLS error", err)
	}
}

// TestSSHUnreachable: an ssh:// engine goes through the Docker CLI's
// connection helper; one that cannot be reached is an error naming it,
// not a hang.
func TestSSHUnreachable(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	_, err := engine.Load(ctx, engine.Endpoint{Host: "ssh://nobody@127.0.0.1:1"}, engine.Options{})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the engine") {
		t.Errorf("ssh to a closed port: %v, want the engine unreachable", err)
	}
}
