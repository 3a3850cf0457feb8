package harden

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/dockguard/dockguard/internal/container"
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
	// Applied is set when --apply ran the update; Err is its error, or
	// why nothing could be decided for the container (Command is then "").
	Applied bool
	Err     error
}

// Engine computes (and with apply, runs) the updates that harden every
// running container of an engine: memory with equal swap, CPUs, PIDs limit
// and a bounded restart policy, decided by the plan of the container's
// rebuilt run line, so that the update and the re-create line agree. A
// container whose run line cannot be rebuilt gets no update and an Err.
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
		// The container's plan is the one harden --run makes for the line
		// that creates it again (its name is the service key of the
		// limits): what docker update can change is updated on the spot,
		// the rest needs the container created again.
		var img *image.InspectResponse
		if ct.Image != "" {
			if res, err := c.ImageInspect(ctx, ct.Image); err == nil {
				img = &res.InspectResponse
			}
		}
		rec, err := Recreate(&ct, img, def, Live{ProcessUID: processUID(ctx, c, &ct)}, opt)
		if err != nil || len(rec.Hardened.Plans) != 1 {
			if err == nil {
				err = fmt.Errorf("container %s: the rebuilt run line starts %d containers", u.Name, len(rec.Hardened.Plans))
			}
			u.Err = fmt.Errorf("not planned: %w", err)
			out = append(out, u)
			continue
		}
		if err := u.fromPlan(rec.Hardened.Plans[0]); err != nil {
			return nil, err
		}
		if len(u.Recreate) > 0 {
			u.Recreation = rec
			if img == nil {
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

// fromPlan renders a container's plan as a live update: the memory (with
// swap), CPU, PIDs and restart changes as `docker update` and its Engine
// API form, and the rules of the changes only a new container takes
// (user, read-only root, capabilities, no-new-privileges, port bindings)
// in Recreate. Ulimits and an image digest are on the re-create line too,
// but are no reason to re-create a container on their own.
func (u *EngineUpdate) fromPlan(p *Plan) error {
	var res api.Resources
	var args []string
	changed, memory := false, false
	for _, st := range p.Steps {
		c := st.Change
		if c == nil {
			continue
		}
		switch c.Field {
		case container.FieldMemory:
			res.Memory, memory = c.Value.(int64), true
			args = append(args, "--memory", c.Text)
			changed = true
		case container.FieldMemorySwap:
			v, ok := c.Value.(int64)
			if !ok {
				continue
			}
			if !memory {
				// The engine takes a swap limit with the memory limit it
				// goes with.
				res.Memory = v
				args = append(args, "--memory", c.Text)
			}
			res.MemorySwap = v
			args = append(args, "--memory-swap", c.Text)
			changed = true
		case container.FieldNanoCPUs:
			if n := c.Value.(int64); n > 0 {
				res.NanoCPUs = n
			} else {
				return fmt.Errorf("container %s: CPU limit %q is not a number of CPUs", u.Name, c.Text)
			}
			args = append(args, "--cpus", c.Text)
			changed = true
		case container.FieldPidsLimit:
			n := c.Value.(int64)
			res.PidsLimit = &n
			args = append(args, "--pids-limit", c.Text)
			changed = true
		case container.FieldRestartPolicy:
			rp := c.Value.(api.RestartPolicy)
			u.Update.RestartPolicy = &rp
			args = append(args, "--restart", c.Text)
		case container.FieldUser, container.FieldReadonlyRootfs, container.FieldCapDrop, container.FieldSecurityOpt, container.FieldPortBindings:
			if !slices.Contains(u.Recreate, st.Rule) {
				u.Recreate = append(u.Recreate, st.Rule)
			}
		}
	}
	if changed {
		u.Update.Resources = &res
	}
	if len(args) > 0 {
		u.Command = "docker update " + strings.Join(args, " ") + " " + quote(u.Name)
	}
	return nil
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
