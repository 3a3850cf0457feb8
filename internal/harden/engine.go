package harden

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/dockguard/dockguard/internal/source/engine"
	api "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/client"
)

// EngineUpdate is what harden does for one running container: the
// settings `docker update` can change on the spot, and the ones that need
// the container created again.
type EngineUpdate struct {
	Name string
	ID   string
	// Command is the `docker update` command line ("" when nothing can be
	// updated).
	Command string
	// Update is the same as an Engine API update.
	Update client.ContainerUpdateOptions
	// Recreate names the rules whose fix needs a new container (user,
	// read-only root, capabilities, no-new-privileges, port bindings).
	Recreate []string
	// Recreation is the container's run line, rebuilt from the engine,
	// and its hardened form, when Recreate names something; RecreateErr
	// says why it could not be rebuilt.
	Recreation  *Recreation
	RecreateErr error
	// Applied is set when --apply ran the update; Err is its error.
	Applied bool
	Err     error
}

// Engine computes (and with apply, runs) the updates that harden every
// running container of an engine: memory with equal swap, CPUs, PIDs limit
// and a bounded restart policy.
func Engine(ctx context.Context, c *client.Client, opt Options, apply bool) ([]EngineUpdate, error) {
	list, err := c.ContainerList(ctx, client.ContainerListOptions{})
	if err != nil {
		return nil, err
	}
	info, err := c.Info(ctx, client.InfoOptions{})
	if err != nil {
		return nil, err
	}
	def := EngineDefaults{LogDriver: info.Info.LoggingDriver, Runtime: info.Info.DefaultRuntime, CgroupV1: info.Info.CgroupVersion == "1"}
	var out []EngineUpdate
	for _, s := range list.Items {
		in, err := c.ContainerInspect(ctx, s.ID, client.ContainerInspectOptions{})
		if err != nil {
			return nil, err
		}
		ct := in.Container
		u := EngineUpdate{Name: strings.TrimPrefix(ct.Name, "/"), ID: ct.ID}
		h := ct.HostConfig
		var res api.Resources
		var args []string
		changed := false
		// The same limits as harden writes for a run line or a compose
		// service: the container's name is the service key.
		ref := ""
		if ct.Config != nil {
			ref = ct.Config.Image
		}
		lim := opt.LimitsFor(u.Name, ref)
		switch {
		case h.Memory <= 0:
			res.Memory, res.MemorySwap = lim.MemoryBytes, lim.MemoryBytes
			args = append(args, "--memory", lim.Memory, "--memory-swap", lim.Memory)
			changed = true
		case h.MemorySwap != h.Memory:
			res.Memory, res.MemorySwap = h.Memory, h.Memory
			args = append(args, "--memory", bytesText(h.Memory), "--memory-swap", bytesText(h.Memory))
			changed = true
		}
		if h.NanoCPUs <= 0 && h.CPUQuota <= 0 {
			cpus, err := strconv.ParseFloat(lim.CPUs, 64)
			if err != nil || cpus <= 0 {
				return nil, fmt.Errorf("container %s: CPU limit %q is not a number of CPUs", u.Name, lim.CPUs)
			}
			res.NanoCPUs = int64(cpus * 1e9)
			args = append(args, "--cpus", lim.CPUs)
			changed = true
		}
		if h.PidsLimit == nil || *h.PidsLimit <= 0 {
			p := lim.Pids
			res.PidsLimit = &p
			args = append(args, "--pids-limit", strconv.FormatInt(p, 10))
			changed = true
		}
		if changed {
			u.Update.Resources = &res
		}
		rp := h.RestartPolicy
		if !h.AutoRemove && (rp.Name == "always" || rp.Name == "unless-stopped" || (rp.Name == "on-failure" && rp.MaximumRetryCount <= 0)) {
			u.Update.RestartPolicy = &api.RestartPolicy{Name: "on-failure", MaximumRetryCount: lim.Retries}
			args = append(args, "--restart", "on-failure:"+strconv.Itoa(lim.Retries))
		}
		if len(args) > 0 {
			u.Command = "docker update " + strings.Join(args, " ") + " " + quote(u.Name)
		}
		if ct.Config != nil && rootOrUnset(ct.Config.User) {
			u.Recreate = append(u.Recreate, "root-user")
		}
		if !h.ReadonlyRootfs {
			u.Recreate = append(u.Recreate, "read-only-rootfs")
		}
		if !capIn(h.CapDrop, "ALL") && !h.Privileged {
			u.Recreate = append(u.Recreate, "capabilities-not-dropped")
		}
		nnp := false
		for _, o := range h.SecurityOpt {
			if o == "no-new-privileges" || o == "no-new-privileges:true" || o == "no-new-privileges=true" {
				nnp = true
			}
		}
		if !nnp {
			u.Recreate = append(u.Recreate, "no-new-privileges-missing")
		}
		for _, bs := range h.PortBindings {
			for _, b := range bs {
				if !b.HostIP.IsValid() || b.HostIP.IsUnspecified() {
					u.Recreate = append(u.Recreate, "port-all-interfaces")
					break
				}
			}
			if len(u.Recreate) > 0 && u.Recreate[len(u.Recreate)-1] == "port-all-interfaces" {
				break
			}
		}
		if len(u.Recreate) > 0 {
			var img *image.InspectResponse
			if ct.Image != "" {
				if res, err := c.ImageInspect(ctx, ct.Image); err == nil {
					img = &res.InspectResponse
				}
			}
			u.Recreation, u.RecreateErr = Recreate(&ct, img, def, Live{ProcessUID: processUID(ctx, c, &ct)}, opt)
			if u.RecreateErr == nil && img == nil {
				u.Recreation.Notes = append(u.Recreation.Notes, Note{Message: u.Name + ": its image could not be read; values the container may have from it are written out"})
			}
		}
		if apply && u.Command != "" {
			_, u.Err = c.ContainerUpdate(ctx, ct.ID, u.Update)
			u.Applied = u.Err == nil
		}
		out = append(out, u)
	}
	return out, nil
}

// String is the update's report line.
func (u EngineUpdate) String() string {
	return fmt.Sprintf("%s: %s", u.Name, u.Command)
}

// processUID asks the engine which user PID 1 of a running container that
// starts as root runs as (docker top); "" when it cannot tell.
func processUID(ctx context.Context, c *client.Client, ct *api.InspectResponse) string {
	if ct.State == nil || !ct.State.Running || ct.State.Pid <= 0 || ct.Config == nil ||
		(ct.Config.User != "" && !rootOrUnset(ct.Config.User)) {
		return ""
	}
	uid, _ := engine.PID1User(ctx, c, ct.ID, ct.State.Pid)
	return uid
}
