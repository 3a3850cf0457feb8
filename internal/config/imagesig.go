package config

import (
	"path/filepath"

	"go.yaml.in/yaml/v3"
)

// ImageSignature is the imageSignature section: the signature every image
// audited with --image must carry. Signature flags on the command line
// replace it whole. Key and TrustedRoot are resolved against the folder of
// the configuration file, so a repository can keep its public key beside
// it.
type ImageSignature struct {
	Key            string
	Identity       string
	IdentityRegexp string
	Issuer         string
	IssuerRegexp   string
	TrustedRoot    string
}

type imageSignatureFile struct {
	Key                         *scalar `yaml:"key"`
	CertificateIdentity         *scalar `yaml:"certificateIdentity"`
	CertificateIdentityRegexp   *scalar `yaml:"certificateIdentityRegexp"`
	CertificateOIDCIssuer       *scalar `yaml:"certificateOidcIssuer"`
	CertificateOIDCIssuerRegexp *scalar `yaml:"certificateOidcIssuerRegexp"`
	TrustedRoot                 *scalar `yaml:"trustedRoot"`
}

func (f *imageSignatureFile) UnmarshalYAML(n *yaml.Node) error {
	if err := strictKeys(n, "imageSignature", "key", "certificateIdentity", "certificateIdentityRegexp",
		"certificateOidcIssuer", "certificateOidcIssuerRegexp", "trustedRoot"); err != nil {
		return err
	}
	type plain imageSignatureFile
	return n.Decode((*plain)(f))
}

// parseImageSignature checks the section's combinations as the flags are
// checked: a key or a keyless identity and issuer, each exact or as an
// expression, not both.
func parseImageSignature(path string, f *imageSignatureFile, fail func(int, string, ...any) error) (ImageSignature, error) {
	var s ImageSignature
	if f == nil {
		return s, nil
	}
	val := func(v *scalar) string {
		if v == nil {
			return ""
		}
		return v.Value
	}
	file := func(v *scalar) string {
		p := val(v)
		if p != "" && !filepath.IsAbs(p) && path != "" {
			p = filepath.Join(filepath.Dir(path), p)
		}
		return p
	}
	s = ImageSignature{
		Key: file(f.Key), TrustedRoot: file(f.TrustedRoot),
		Identity: val(f.CertificateIdentity), IdentityRegexp: val(f.CertificateIdentityRegexp),
		Issuer: val(f.CertificateOIDCIssuer), IssuerRegexp: val(f.CertificateOIDCIssuerRegexp),
	}
	line := func(vs ...*scalar) int {
		for _, v := range vs {
			if v != nil {
				return v.Line
			}
		}
		return 0
	}
	keyless := s.Identity != "" || s.IdentityRegexp != "" || s.Issuer != "" || s.IssuerRegexp != ""
	switch {
	case s.Key != "" && keyless:
		return s, fail(f.Key.Line, "imageSignature: give key, or a keyless certificateIdentity and certificateOidcIssuer, not both")
	case s.Key != "" && s.TrustedRoot != "":
		return s, fail(f.TrustedRoot.Line, "imageSignature.trustedRoot is for keyless verification, not with key")
	case s.Identity != "" && s.IdentityRegexp != "":
		return s, fail(f.CertificateIdentityRegexp.Line, "imageSignature: certificateIdentity or certificateIdentityRegexp, not both")
	case s.Issuer != "" && s.IssuerRegexp != "":
		return s, fail(f.CertificateOIDCIssuerRegexp.Line, "imageSignature: certificateOidcIssuer or certificateOidcIssuerRegexp, not both")
	case (keyless || s.TrustedRoot != "") && (s.Identity == "" && s.IdentityRegexp == "" || s.Issuer == "" && s.IssuerRegexp == ""):
		return s, fail(line(f.CertificateIdentity, f.CertificateIdentityRegexp, f.CertificateOIDCIssuer, f.CertificateOIDCIssuerRegexp, f.TrustedRoot),
			"imageSignature: keyless verification needs an identity (certificateIdentity or certificateIdentityRegexp) and an issuer (certificateOidcIssuer or certificateOidcIssuerRegexp)")
	}
	return s, nil
}
