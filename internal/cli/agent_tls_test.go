package cli_test

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
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/cli"
)

// testCA issues certificates for the TLS tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

var tlsTestSerial int64

func newTestCA(t *testing.T, name string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tlsTestSerial++
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(tlsTestSerial),
		Subject:               pkix.Name{CommonName: name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

// issue writes a certificate and key signed by the CA into dir and returns
// their paths: a server certificate for 127.0.0.1, or a client one.
func (ca *testCA) issue(t *testing.T, dir, name string, server bool) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tlsTestSerial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(tlsTestSerial),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, name+".pem"), filepath.Join(dir, name+"-key.pem")
	write(t, certFile, string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	write(t, keyFile, string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})))
	return certFile, keyFile
}

// TestAgentTLS serves the agent over TLS with client certificates
// required: a client without a certificate, or with one from another CA,
// is refused in the handshake; one with a certificate from the CA gets
// /healthz (503 here: there is no engine), and so does `agent health`.
func TestAgentTLS(t *testing.T) {
	dir := t.TempDir()
	ca, other := newTestCA(t, "dockguard test CA"), newTestCA(t, "another CA")
	caFile := write(t, filepath.Join(dir, "ca.pem"), string(ca.pem))
	srvCert, srvKey := ca.issue(t, dir, "agent", true)
	cliCert, cliKey := ca.issue(t, dir, "prometheus", false)
	strangerCert, strangerKey := other.issue(t, dir, "stranger", false)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var errb lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"agent", "--listen", addr, "-H", "unix://" + filepath.Join(dir, "none.sock"), "--log-format", "json",
			"--tls-cert", srvCert, "--tls-key", srvKey, "--tls-client-ca", caFile},
			cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: &errb})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != cli.ExitOK {
				t.Errorf("agent exit %d:\n%s", code, errb.String())
			}
		case <-time.After(20 * time.Second):
			t.Errorf("agent still running 20s after its context ended")
		}
	})
	waitServing(t, &errb, done)
	if !strings.Contains(errb.String(), `"client_certificates":true`) {
		t.Errorf("no TLS logged:\n%s", errb.String())
	}

	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	get := func(certs ...tls.Certificate) (*http.Response, error) {
		c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs, MinVersion: tls.VersionTLS12},
		}}
		resp, err := c.Get("https://" + addr + "/healthz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			resp.Body = io.NopCloser(strings.NewReader(string(b)))
		}
		return resp, err
	}
	load := func(cert, key string) tls.Certificate {
		c, err := tls.LoadX509KeyPair(cert, key)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if resp, err := get(); err == nil {
		t.Errorf("a client without a certificate got %s", resp.Status)
	}
	if resp, err := get(load(strangerCert, strangerKey)); err == nil {
		t.Errorf("a client with another CA's certificate got %s", resp.Status)
	}
	if resp, err := http.Get("http://" + addr + "/healthz"); err == nil && resp.StatusCode < 400 {
		t.Errorf("plain HTTP got %s", resp.Status)
	}
	resp, err := get(load(cliCert, cliKey))
	if err != nil {
		t.Fatalf("a client with the CA's certificate: %v", err)
	}
	if b, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(b), "cannot reach the engine") {
		t.Errorf("/healthz with a client certificate: %s %q", resp.Status, b)
	}

	// The image's HEALTHCHECK, over TLS: the agent answers 503 (no
	// engine), so unhealthy, exit 1; without a client certificate the
	// handshake fails, also exit 1.
	url := "https://" + addr + "/healthz"
	r := run(t, "agent", "health", "--url", url, "--tls-ca", caFile, "--tls-cert", cliCert, "--tls-key", cliKey)
	if r.code != 1 || !strings.Contains(r.out, "503") || !strings.Contains(r.out, "cannot reach the engine") {
		t.Errorf("agent health with a certificate: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	r = run(t, "agent", "health", "--url", url, "--tls-ca", caFile)
	if r.code != 1 || !strings.Contains(r.err, "unhealthy") {
		t.Errorf("agent health without a certificate: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
}

func TestAgentTLSFlags(t *testing.T) {
	dir := t.TempDir()
	ca := newTestCA(t, "ca")
	cert, key := ca.issue(t, dir, "agent", true)
	notPEM := write(t, filepath.Join(dir, "junk.pem"), "not a certificate\n")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", cert}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-client-ca", cert}, "--tls-cert and --tls-key go together"},
		{[]string{"--tls-cert", cert, "--tls-key", notPEM}, "listener TLS"},
		{[]string{"--tls-cert", cert, "--tls-key", key, "--tls-client-ca", notPEM}, "no PEM certificate"},
		{[]string{"--tls-cert", cert, "--tls-key", key, "--tls-client-ca", filepath.Join(dir, "missing.pem")}, "missing.pem"},
	} {
		r := run(t, append([]string{"agent", "-H", "unix:///nonexistent.sock", "--listen", "127.0.0.1:0"}, tc.args...)...)
		if r.code != cli.ExitError || !strings.Contains(r.err, tc.want) {
			t.Errorf("agent %v: exit %d, stderr %q; want 2 and %q", tc.args, r.code, r.err, tc.want)
		}
	}
}

// TestAgentHealth checks the probe's exit codes against a stand-in agent.
func TestAgentHealth(t *testing.T) {
	healthy := true
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		if !healthy {
			http.Error(w, "unhealthy since then: event stream: EOF", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok: synced at 2026-01-01T00:00:00Z\n")
	}))
	defer srv.Close()
	if r := run(t, "agent", "health", "--url", srv.URL+"/healthz"); r.code != cli.ExitOK || !strings.HasPrefix(r.out, "ok: synced") {
		t.Errorf("healthy: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	healthy = false
	if r := run(t, "agent", "health", "--url", srv.URL+"/healthz"); r.code != 1 || !strings.Contains(r.out, "event stream: EOF") {
		t.Errorf("unhealthy: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	srv.Close()
	if r := run(t, "agent", "health", "--url", srv.URL+"/healthz", "--timeout", "2s"); r.code != 1 || !strings.Contains(r.err, "unhealthy") {
		t.Errorf("no agent: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	for _, args := range [][]string{{"--url", "ftp://x/healthz"}, {"--url", "127.0.0.1:9323"}, {"--timeout", "0s"}, {"--tls-cert", os.DevNull}} {
		if r := run(t, append([]string{"agent", "health"}, args...)...); r.code != cli.ExitError {
			t.Errorf("agent health %v: exit %d, want 2 (stderr %q)", args, r.code, r.err)
		}
	}
}
