package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/dockguard/dockguard/internal/harden"
	"github.com/dockguard/dockguard/internal/source/engine"
	"github.com/moby/moby/client"
	"github.com/spf13/pflag"
)

// hardenLive are the harden flags that ask a running engine: usage for the
// limits (--observe) and images for their VOLUMEs and digests (--resolve).
type hardenLive struct {
	observe    bool
	observeFor time.Duration
	headroom   float64
	resolve    bool
	insecure   []string
}

func (l *hardenLive) register(f *pflag.FlagSet) {
	f.BoolVar(&l.observe, "observe", false, "take memory and PIDs limits from the usage of the running containers (docker stats peak x --headroom) of the engine (-H, else DOCKER_HOST, the docker context, the local socket)")
	f.DurationVar(&l.observeFor, "observe-for", 0, "with --observe, sample usage for this long (e.g. 30s) and keep the peak; 0: one sample")
	f.Float64Var(&l.headroom, "headroom", harden.DefaultHeadroom, "with --observe, the factor between the observed peak and the limit written")
	f.BoolVar(&l.resolve, "resolve", false, "pin images by digest: the engine's repository digest when it holds the image, else the registry's")
	f.StringArrayVar(&l.insecure, "insecure-registry", nil, "with --resolve, a registry (HOST[:PORT]) to reach over plain HTTP (repeatable)")
}

// connect reads what the live flags ask of the engines (hosts, else the
// default one) into opt; closeAll releases the clients. With neither
// --observe nor --resolve it does nothing, and -H with a file is an error.
func (l *hardenLive) connect(ctx context.Context, s Streams, hosts []string, endpoint func(string) engine.Endpoint, engineMode bool, opt *harden.Options) (closeAll func(), err error) {
	closeAll = func() {}
	if ctx == nil {
		ctx = context.Background()
	}
	if !l.observe && !l.resolve {
		if len(hosts) > 0 && !engineMode {
			return closeAll, errors.New("-H with a file or --run needs --observe or --resolve (or use --engine alone)")
		}
		if l.observeFor != 0 || l.headroom != harden.DefaultHeadroom || len(l.insecure) > 0 {
			return closeAll, errors.New("--observe-for and --headroom need --observe; --insecure-registry needs --resolve")
		}
		return closeAll, nil
	}
	if l.observeFor < 0 {
		return closeAll, errors.New("--observe-for must not be negative")
	}
	if l.headroom < 1 || l.headroom > 100 {
		return closeAll, fmt.Errorf("--headroom %g: give a factor from 1 to 100", l.headroom)
	}
	if len(hosts) == 0 {
		hosts = []string{""}
	}
	var clients []*client.Client
	closeAll = func() {
		for _, c := range clients {
			c.Close()
		}
	}
	for _, h := range hosts {
		c, err := engine.Client(endpoint(h))
		if err != nil {
			if l.observe {
				return closeAll, err
			}
			// --resolve alone still asks the registries.
			fmt.Fprintf(s.Err, "note: engine %s not used: %v\n", h, err)
			continue
		}
		clients = append(clients, c)
		if l.observe {
			obs, notes, err := harden.Observe(ctx, c, harden.ObserveOptions{For: l.observeFor})
			if err != nil {
				return closeAll, fmt.Errorf("--observe: %v", err)
			}
			for _, n := range notes {
				fmt.Fprintf(s.Err, "note: %s\n", n)
			}
			opt.Observed = append(opt.Observed, obs...)
		}
	}
	opt.Headroom = l.headroom
	if len(clients) > 0 {
		opt.Image = harden.DaemonImages(ctx, clients[0])
	}
	if l.resolve {
		r := &harden.Resolver{Image: opt.Image, Insecure: l.insecure}
		opt.Resolve = r.Digest
	}
	return closeAll, nil
}
