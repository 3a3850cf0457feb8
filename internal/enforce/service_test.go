package enforce

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/dockguard/dockguard/internal/config"
	"github.com/dockguard/dockguard/internal/container"
	"github.com/dockguard/dockguard/internal/facts"
	"github.com/dockguard/dockguard/internal/policy"
	"github.com/dockguard/dockguard/internal/rules"
	"github.com/moby/moby/api/types/swarm"
)

// A service spec judged at enforcement and the same spec read back by the
// live audit (as internal/source/engine maps it) yield the same catalogue
// findings: both go through container.ServiceSpec and the one mapper.
func TestServiceEnforcementMatchesAudit(t *testing.T) {
	bodies := []string{
		// condition any with max_attempts: on-failure:100 for both.
		`{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"app:1","User":"10001"},"RestartPolicy":{"Condition":"any","MaxAttempts":100}},"EndpointSpec":{"Ports":[{"TargetPort":80,"PublishedPort":8080}]}}`,
		`{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"app:1","User":"0","CapabilityAdd":["NET_ADMIN"],"ReadOnly":true,"Privileges":{"NoNewPrivileges":true}},"Resources":{"Limits":{"MemoryBytes":268435456,"NanoCPUs":500000000,"Pids":100}}}}`,
		`{"Name":"s","TaskTemplate":{"ContainerSpec":{"Image":"app:1","User":"10001","Mounts":[{"Type":"bind","Source":"/etc","Target":"/e","ReadOnly":true}]},"RestartPolicy":{"Condition":"on-failure"}}}`,
	}
	d := New(Settings{Config: config.Enforce{Mode: "audit"}, Self: "dockguard"}, testImages)
	pol := policy.New(rules.Config{})
	for _, body := range bodies {
		dec := d.Decide(context.Background(), req("POST", "/v1.41/services/create", body))
		var atEnforce []string
		for _, v := range dec.Violations {
			if r := rules.Lookup(v.Rule); len(r) == 1 && !r[0].Request {
				atEnforce = append(atEnforce, v.Rule+" "+v.Message)
			}
		}
		var spec swarm.ServiceSpec
		if err := json.Unmarshal([]byte(body), &spec); err != nil {
			t.Fatal(err)
		}
		var ports []swarm.PortConfig
		if spec.EndpointSpec != nil {
			ports = spec.EndpointSpec.Ports
		}
		live := container.Map(container.ServiceSpec(container.Service{
			Spec: spec, Ports: ports, PortsField: "Endpoint.Ports",
			Network: func(target string) (string, bool) { return target, target == "host" },
			Prefix:  "Spec.",
			Subject: facts.Subject{Kind: facts.SubjectService, Name: spec.Name, Host: "h"},
			Origin:  facts.Location{Engine: "h", Object: "service " + spec.Name},
		}))
		var atAudit []string
		for _, f := range pol.Container(live) {
			atAudit = append(atAudit, f.Rule.ID+" "+f.Message)
		}
		slices.Sort(atEnforce)
		slices.Sort(atAudit)
		if !slices.Equal(atEnforce, atAudit) {
			t.Errorf("%s\nenforcement: %q\naudit:       %q", body, atEnforce, atAudit)
		}
		if len(atAudit) == 0 {
			t.Errorf("%s: no finding at all; the comparison proves nothing", body)
		}
	}
}
