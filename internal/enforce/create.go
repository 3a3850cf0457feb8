package enforce

import (
	"context"
	"errors"
	"strings"

	"github.com/dockguard/dockguard/internal/rules"

	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	apicontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
)

// Networks resolves a network reference (name, full ID or ID prefix) as
// the daemon does.
type Networks interface {
	// Network returns the network's name and driver; found is false when
	// the daemon has no such network.
	Network(ctx context.Context, ref string) (name, driver string, found bool, err error)
}

func (j *judgement) create(ctx context.Context, t *target, r *Request) {
	var w CreateBody
	if !j.decode(r, &w) {
		return
	}
	c := w.create()
	if c.Config == nil {
		j.failClosed("body-undecodable", "the body has no container configuration")
		return
	}
	if c.Mixed {
		// dockerd 20.10 to 26 take Memory, MemorySwap, CpuShares,
		// CpusetCpus, VolumeDriver and Cpuset from the top level when the
		// HostConfig object leaves them zero; 27 and later ignore them.
		j.failClosed("hostconfig-top-level", "HostConfig fields at the top level of the body beside a HostConfig object are read differently by different daemon versions; put them in HostConfig")
		return
	}
	name := strings.TrimPrefix(t.query.Get("name"), "/")
	j.subject = "container " + name
	if name == "" {
		j.subject = "container (unnamed)"
	}
	j.subject += " image " + c.Config.Image
	j.container(ctx, c, name, facts.Location{Engine: "api", Object: "POST /containers/create"}, false)
}

// container judges a container configuration as a create of it: a create
// request's, or (inspected) one the daemon holds, whose Config.User is
// final (the daemon merged the image's into it) and whose namespace joins
// and VolumesFrom are judged by the containers they name.
func (j *judgement) container(ctx context.Context, c *Create, name string, origin facts.Location, inspected bool) {
	cfg := &c.Config.Config
	if why := j.d.exempt(cfg.Image); why != "" {
		j.reason = why
		return
	}
	hc := &apicontainer.HostConfig{}
	if c.HostConfig != nil {
		hc = &c.HostConfig.HostConfig
		j.deniedFields("HostConfig", c.HostConfig)
	}
	j.deniedFields("Config", c.Config)
	if c.NetworkingConfig != nil {
		j.deniedFields("NetworkingConfig", c.NetworkingConfig)
	}
	spec := &container.Spec{
		Config:     cfg,
		HostConfig: hc,
		Subject:    facts.Subject{Kind: facts.SubjectContainer, Name: name},
		Origin:     origin,
		Enforced:   true,
	}
	// A remapping or rootless daemon makes container root an unprivileged
	// host user (writable-bind-root); a daemon that cannot be asked is
	// taken as not remapping.
	if df, err := j.d.daemonFacts(ctx); err == nil {
		spec.UsernsRemap, spec.DefaultRuntime = df.UsernsRemap, df.DefaultRuntime
	}
	// daemon.json's no-new-privileges applies to a container that does
	// not say otherwise.
	if _, ok := j.d.images.(DaemonHost); ok {
		spec.NoNewPrivilegesDefault = j.d.daemonView(ctx).NoNewPrivileges
	}
	// Joins are judged by the container joined (joins), not by the
	// catalogue's shared-namespace finding on the mode alone; the mounts
	// VolumesFrom inherits are judged as this container's own.
	if judged, joined := j.joins(ctx, hc); joined {
		spec.HostConfig = judged
	}
	// A network named by ID, name or prefix may be the host network.
	if mode := string(hc.NetworkMode); userDefinedNetwork(mode) {
		switch host, why := j.hostNetwork(ctx, mode); {
		case why != "":
			j.failClosed("network-unresolved", "network %q cannot be resolved (%s): a name, ID or ID prefix may name the host network", truncate(mode, 60), why)
		case host:
			resolved := *spec.HostConfig
			resolved.NetworkMode = "host"
			spec.HostConfig = &resolved
		}
	}
	j.endpoints(hc, c.NetworkingConfig)
	j.devices("HostConfig.", hc)
	j.namedVolumes(ctx, spec.HostConfig)
	imageMissing := false
	if cfg.User == "" && inspected {
		spec.Image = &facts.Container{User: facts.Value[string]{Why: "the container's user (Config.User is empty): root"}}
	} else if cfg.User == "" && cfg.Image != "" {
		switch user, found, err := j.d.imageUser(ctx, cfg.Image); {
		case err != nil:
			if j.d.cfg.UnknownImageUser != "allow" {
				j.check("image-user-unknown", "start dockguard with access to the daemon's API, or set enforce.unknownImageUser: allow",
					"the user of image %s cannot be asked (%v); judged as root", cfg.Image, truncate(err.Error(), 80))
			}
			spec.Image = &facts.Container{User: facts.SetAt("root", spec.Origin)}
		case !found:
			// Everything but the image's user is judged. When nothing
			// else denies, the daemon answers 404, the CLI pulls and
			// creates again, and that create is judged with the image
			// present.
			imageMissing = true
			spec.Image = &facts.Container{User: facts.UnknownBecause[string](spec.Origin, "image "+cfg.Image+" is not present")}
		case user == "":
			spec.Image = &facts.Container{ImageUserKnown: true, User: facts.Value[string]{Why: "the image's user (" + cfg.Image + " sets no USER): root"}}
		default:
			spec.Image = &facts.Container{ImageUserKnown: true, User: facts.SetAt(user, facts.Location{Engine: "api", Object: "image " + cfg.Image, Field: "Config.User"})}
		}
	}
	ct := container.Map(spec)
	// Bind sources as the daemon's mount namespace leads them, judged
	// where they lead as well as written.
	j.hostBinds(ctx, ct)
	j.swappableBinds(ctx, ct, spec.HostConfig.GroupAdd)
	j.writableBindGroup(ctx, ct)
	j.judge(ct)
	j.namespaces(spec.HostConfig)
	if imageMissing && !j.denies() {
		j.note("image " + cfg.Image + " is not present: the daemon will refuse the create and the retry after a pull is judged")
	}
}

// denies reports whether what was found so far denies the request.
func (j *judgement) denies() bool {
	if j.denied {
		return true
	}
	for _, v := range j.vs {
		if v.Deny {
			return true
		}
	}
	return false
}

func (d *Decider) imageUser(ctx context.Context, ref string) (string, bool, error) {
	if d.images == nil {
		return "", false, errors.New("no daemon to ask")
	}
	return d.images.ImageUser(ctx, ref)
}

// userDefinedNetwork reports whether a network mode names a network
// rather than a mode the daemon knows by name.
func userDefinedNetwork(mode string) bool {
	switch mode {
	case "", "default", "bridge", "host", "none":
		return false
	}
	return !strings.HasPrefix(mode, "container:") && !strings.HasPrefix(mode, "ns:")
}

// hostNetwork asks the daemon whether a network reference is the host
// network; why is set when it cannot tell.
func (j *judgement) hostNetwork(ctx context.Context, ref string) (host bool, why string) {
	if ref == "host" {
		return true, ""
	}
	n, ok := j.d.images.(Networks)
	if !ok {
		return false, "no daemon to ask"
	}
	name, driver, found, err := n.Network(ctx, ref)
	switch {
	case err != nil:
		return false, truncate(err.Error(), 80)
	case !found:
		return false, "" // the daemon refuses a network it does not have
	}
	return driver == "host" || name == "host", ""
}

// endpoints denies endpoint settings for networks other than the one
// NetworkMode names: the daemon attaches the container to each network
// EndpointsConfig names, and only NetworkMode is judged.
func (j *judgement) endpoints(hc *apicontainer.HostConfig, nc *network.NetworkingConfig) {
	if nc == nil {
		return
	}
	mode := string(hc.NetworkMode)
	for name := range nc.EndpointsConfig {
		if name == mode {
			continue
		}
		if (mode == "" || mode == "default" || mode == "bridge") && (name == "bridge" || name == "default") {
			continue
		}
		j.check("network-endpoint", "name only the network of HostConfig.NetworkMode in NetworkingConfig.EndpointsConfig",
			"NetworkingConfig.EndpointsConfig names network %q beside HostConfig.NetworkMode %q", truncate(name, 60), truncate(mode, 60))
	}
}

// namespaces adds what the container rules do not decide on their own
// from a create request: volume plugins and image mounts. Joins of other
// containers are judged by joins; host and ns: modes by the host-namespace
// rules; the runtime by the runtime rule.
func (j *judgement) namespaces(h *apicontainer.HostConfig) {
	if h == nil {
		return
	}
	for i, m := range h.Mounts {
		j.mount("HostConfig.Mounts", i, m)
	}
}

// mount judges what the container rules do not of one mount: volume
// plugins, local volumes that bind host paths, image mounts.
func (j *judgement) mount(field string, i int, m mount.Mount) {
	if !mountTypes[m.Type] {
		j.check("mount-type", "use a bind, volume or tmpfs mount", "%s[%d].Type %q is not a mount type dockguard judges", field, i, truncate(string(m.Type), 20))
	}
	if m.Type == mount.TypeVolume && m.VolumeOptions != nil && m.VolumeOptions.DriverConfig != nil {
		dc := m.VolumeOptions.DriverConfig
		if why := localVolumeRisk(dc.Name, dc.Options, &j.d.pol.Config.Allow); why != "" {
			j.check("volume-bind", "use a bind mount the policy can judge, or a plain volume", "%s[%d].VolumeOptions.DriverConfig.Options: %s", field, i, why)
		}
		if dc.Name != "" && dc.Name != "local" && !rules.Has(j.d.pol.Config.Allow.VolumeDrivers, dc.Name) {
			j.check("volume-driver", "use the local volume driver", "%s[%d].VolumeOptions.DriverConfig.Name %q is a volume plugin, which mounts what it chooses", field, i, truncate(dc.Name, 40))
		}
	}
	if m.Type == "image" {
		j.check("image-mount", "copy the files into the image instead", "%s[%d]: image mounts are not judged", field, i)
	}
}

// exempt allows an image named by an exempt digest. Exemptions by tag,
// label or container name are chosen by the requester, so there are none.
// An exemption repository@digest holds for that repository as the daemon
// normalizes it (docker.io/library for bare names, a tag beside the digest
// ignored); a bare digest for any reference to that content, or the image
// ID itself.
func (d *Decider) exempt(image string) string {
	ref := facts.ParseImageRef(image)
	for _, im := range d.cfg.Exempt.Images {
		if !strings.Contains(im, "@") {
			if ref.Digest == im || image == im {
				return "exempt image digest " + im
			}
			continue
		}
		ex := facts.ParseImageRef(im)
		if ref.Digest != "" && ref.Digest == ex.Digest && ref.Registry == ex.Registry && ref.Repo == ex.Repo {
			return "exempt image digest " + ex.Digest
		}
	}
	return ""
}
