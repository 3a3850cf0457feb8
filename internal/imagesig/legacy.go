package imagesig

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
)

// checkLegacyKeyless verifies a keyless .sig layer: its Fulcio certificate
// (annotation), the signature over the payload, the certificate's identity,
// and an observer timestamp (the Rekor entry's signed integrated time, or
// an RFC 3161 timestamp) at which the short-lived certificate was valid.
// sigstore-go does the checking; the layer is presented to it as a signed
// entity holding a message signature over the payload.
func (v *Verifier) checkLegacyKeyless(sig []byte, l Legacy) error {
	pemCert := l.Annotations[CertificateAnnotation]
	if pemCert == "" {
		return errors.New("signed with a key, but keyless verification (a certificate identity) was asked for")
	}
	certs, err := cryptoutils.UnmarshalCertificatesFromPEM([]byte(pemCert))
	if err != nil || len(certs) == 0 {
		return fmt.Errorf("the certificate annotation is not a PEM certificate: %v", err)
	}
	e := &legacyEntity{cert: certs[0], payload: l.Payload, sig: sig}
	// The chain annotation is not read: intermediates come from the
	// trusted root, never from the signature being judged.
	if rb := l.Annotations[BundleAnnotation]; rb != "" {
		entry, err := rekorEntry(rb)
		if err != nil {
			return fmt.Errorf("the Rekor bundle annotation: %w", err)
		}
		e.tlog = []*tlog.Entry{entry}
	}
	if ts := l.Annotations[TimestampAnnotation]; ts != "" {
		var t struct {
			SignedRFC3161Timestamp []byte
		}
		if err := json.Unmarshal([]byte(ts), &t); err != nil {
			return fmt.Errorf("the RFC 3161 timestamp annotation: %w", err)
		}
		e.timestamps = [][]byte{t.SignedRFC3161Timestamp}
	}
	opts := []verify.VerifierOption{verify.WithObserverTimestamps(1)}
	if len(e.tlog) > 0 {
		opts = append(opts, verify.WithTransparencyLog(1))
	}
	if v.ctlogs {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	vr, err := verify.NewVerifier(v.trusted, opts...)
	if err != nil {
		return err
	}
	pol := verify.NewPolicy(verify.WithArtifact(bytes.NewReader(l.Payload)), verify.WithCertificateIdentity(*v.identity))
	if _, err := vr.Verify(e, pol); err != nil {
		return explain(err, v)
	}
	return nil
}

// rekorEntry reads cosign's Rekor bundle annotation: the entry body, its
// integrated time, index and log ID, and the log's signed entry timestamp.
func rekorEntry(annotation string) (*tlog.Entry, error) {
	var rb struct {
		SignedEntryTimestamp []byte
		Payload              struct {
			Body           string `json:"body"`
			IntegratedTime int64  `json:"integratedTime"`
			LogIndex       int64  `json:"logIndex"`
			LogID          string `json:"logID"`
		}
	}
	if err := json.Unmarshal([]byte(annotation), &rb); err != nil {
		return nil, err
	}
	body, err := base64.StdEncoding.DecodeString(rb.Payload.Body)
	if err != nil {
		return nil, fmt.Errorf("entry body: %w", err)
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("log ID: %w", err)
	}
	// A legacy .sig bundle is a Rekor v1 entry, which is what NewEntry
	// parses (NewTlogEntry takes a protobuf entry that format has not).
	//lint:ignore SA1019 the legacy cosign format is Rekor v1 only
	return tlog.NewEntry(body, rb.Payload.IntegratedTime, rb.Payload.LogIndex, logID, rb.SignedEntryTimestamp, nil)
}

// legacyEntity presents a keyless .sig layer to sigstore-go.
type legacyEntity struct {
	verify.BaseSignedEntity
	cert       *x509.Certificate
	payload    []byte
	sig        []byte
	tlog       []*tlog.Entry
	timestamps [][]byte
}

func (e *legacyEntity) HasInclusionPromise() bool { return len(e.tlog) > 0 }
func (e *legacyEntity) HasInclusionProof() bool   { return false }
func (e *legacyEntity) Version() (string, error)  { return "v0.1", nil }

func (e *legacyEntity) VerificationContent() (verify.VerificationContent, error) {
	return bundle.NewCertificate(e.cert), nil
}

func (e *legacyEntity) SignatureContent() (verify.SignatureContent, error) {
	d := sha256.Sum256(e.payload)
	return bundle.NewMessageSignature(d[:], "SHA2_256", e.sig), nil
}

func (e *legacyEntity) Timestamps() ([][]byte, error)       { return e.timestamps, nil }
func (e *legacyEntity) TlogEntries() ([]*tlog.Entry, error) { return e.tlog, nil }
