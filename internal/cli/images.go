package cli

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/imagesig"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/dockguard/dockguard/internal/source/image"
	"github.com/spf13/pflag"
)

// imageFlags are the flags of image audits (--image).
type imageFlags struct {
	images     []string
	insecure   []string
	maxLayerMB int64
	maxImageMB int64
	platform   string
	sig        imagesig.Policy
}

func (i *imageFlags) register(f *pflag.FlagSet) {
	f.StringArrayVar(&i.images, "image", nil, "an image to audit (repeatable): docker-archive:FILE[:TAG], oci:DIR[:TAG], registry:REF, daemon:REF, or REF (an existing file is a docker save archive, a folder an OCI layout, else the daemon, then the registry)")
	f.StringArrayVar(&i.insecure, "insecure-registry", nil, "a registry host (HOST:PORT) spoken to over plain HTTP for --image (repeatable)")
	f.StringVar(&i.platform, "platform", "", "--image: the platform to read from a multi-platform image, os/arch[/variant] (default: linux and this machine's architecture)")
	f.Int64Var(&i.maxLayerMB, "max-layer-size", image.DefaultMaxLayerSize>>20, "--image: largest decompressed layer, in MiB")
	f.Int64Var(&i.maxImageMB, "max-image-size", image.DefaultMaxImageSize>>20, "--image: largest decompressed image (all layers), in MiB")
	f.StringVar(&i.sig.KeyFile, "verify-key", "", "--image: require a cosign signature of the image digest made with this public key (PEM file); legacy .sig tags and Sigstore bundle referrers")
	f.StringVar(&i.sig.Identity, "certificate-identity", "", "--image: require a keyless (Fulcio certificate) cosign signature for this identity (exact SAN: email or URI); with --certificate-oidc-issuer")
	f.StringVar(&i.sig.Issuer, "certificate-oidc-issuer", "", "--image: the OIDC issuer the keyless signer's certificate must name (with --certificate-identity)")
	f.StringVar(&i.sig.IdentityRegexp, "certificate-identity-regexp", "", "--image: like --certificate-identity, a regular expression (Go syntax) the certificate's identity must match")
	f.StringVar(&i.sig.IssuerRegexp, "certificate-oidc-issuer-regexp", "", "--image: like --certificate-oidc-issuer, a regular expression (Go syntax) the issuer must match")
	f.StringVar(&i.sig.TrustedRoot, "trusted-root", "", "--image: Sigstore trusted_root.json for keyless verification, offline (default: the public-good root, fetched)")
}

// imageMemoryTarget is the soft memory limit set for the process while
// images are read, unless GOMEMLIMIT says otherwise: the live data of an
// image read stays well under it, so the collector runs before the heap
// doubles (the 3 GiB benchmark image peaked at 146 MB resident without it,
// 122 MB with it, in the same time).
const imageMemoryTarget = 100 << 20

// limitMemory sets the soft memory limit for image reads.
func (i *imageFlags) limitMemory() {
	if len(i.images) > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(imageMemoryTarget)
	}
}

// options are the image source's options; the daemon asked for images is
// the first -H host, else the default engine.
func (i *imageFlags) options(live *engineFlags, cfg config.ImageSignature) (image.Options, error) {
	if i.sig.Requested() && len(i.images) == 0 {
		return image.Options{}, errors.New("--verify-key, --certificate-identity[-regexp], --certificate-oidc-issuer[-regexp] and --trusted-root verify --image images: give --image")
	}
	if !i.sig.Requested() {
		// The configuration's signature requirement, unless flags give one.
		i.sig = imagesig.Policy{KeyFile: cfg.Key, Identity: cfg.Identity, IdentityRegexp: cfg.IdentityRegexp,
			Issuer: cfg.Issuer, IssuerRegexp: cfg.IssuerRegexp, TrustedRoot: cfg.TrustedRoot}
	}
	if i.maxLayerMB <= 0 || i.maxImageMB <= 0 {
		return image.Options{}, fmt.Errorf("--max-layer-size and --max-image-size must be positive")
	}
	opt := image.Options{
		MaxLayerSize:       i.maxLayerMB << 20,
		MaxImageSize:       i.maxImageMB << 20,
		InsecureRegistries: i.insecure,
		Platform:           i.platform,
	}
	if i.sig.Requested() && len(i.images) > 0 {
		v, err := imagesig.New(i.sig)
		if err != nil {
			return image.Options{}, err
		}
		opt.Verify = v
	}
	if len(live.hosts) > 0 {
		opt.Engine = engine.Endpoint{Host: live.hosts[0], TLS: engine.TLS{Verify: live.tlsVerify, CACert: live.tlsCACert, Cert: live.tlsCert, Key: live.tlsKey}}
	}
	return opt, nil
}
