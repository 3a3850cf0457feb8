package enforce

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dockguard/dockguard/internal/config"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, name string) *testCA {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert, key}
}

func (ca *testCA) issue(t *testing.T, cn string, server bool) tls.Certificate {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestProxyTLSIdentity: over TLS the client certificate's CN is the
// identity exemptions name; clients without a certificate of the CA are
// refused.
func TestProxyTLSIdentity(t *testing.T) {
	ca, foreign := newCA(t, "dockguard test CA"), newCA(t, "foreign CA")
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	upstream := filepath.Join(t.TempDir(), "daemon.sock")
	ul, err := net.Listen("unix", upstream)
	if err != nil {
		t.Fatal(err)
	}
	var hits atomic.Int32
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1); w.WriteHeader(201) })}
	go func() { _ = srv.Serve(ul) }()
	defer srv.Close()
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := tls.NewListener(tl, &tls.Config{Certificates: []tls.Certificate{ca.issue(t, "proxy", true)}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert})
	d := New(Settings{Config: config.Enforce{Exempt: config.Exemptions{Users: []string{"ci-admin"}}}}, testImages)
	p := &Proxy{Plugin: NewPlugin(d, nil), Dial: func(ctx context.Context) (net.Conn, error) { return (&net.Dialer{}).DialContext(ctx, "unix", upstream) }}
	go func() { _ = p.Serve(l) }()
	defer func() { l.Close(); p.Close() }()
	post := func(cert *tls.Certificate) (int, error) {
		cfg := &tls.Config{RootCAs: pool}
		if cert != nil {
			cfg.Certificates = []tls.Certificate{*cert}
		}
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}, Timeout: 10 * time.Second}
		res, err := hc.Post(fmt.Sprintf("https://%s/v1.41/containers/create", tl.Addr()), "application/json", strings.NewReader(privBody))
		if err != nil {
			return 0, err
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res.StatusCode, nil
	}
	admin, other, stranger := ca.issue(t, "ci-admin", false), ca.issue(t, "ci-job", false), foreign.issue(t, "ci-admin", false)
	if code, err := post(&admin); err != nil || code != 201 {
		t.Errorf("exempt identity: %d %v", code, err)
	}
	if code, err := post(&other); err != nil || code != 403 {
		t.Errorf("other identity: %d %v", code, err)
	}
	if code, err := post(&stranger); err == nil {
		t.Errorf("certificate of a foreign CA: %d", code)
	}
	if code, err := post(nil); err == nil {
		t.Errorf("no client certificate: %d", code)
	}
	if hits.Load() != 1 {
		t.Errorf("the daemon got %d requests, want 1", hits.Load())
	}
}
