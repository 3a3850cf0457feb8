package container

import (
	"testing"

	"github.com/dockguard/dockguard/internal/facts"
	"github.com/moby/moby/api/types/swarm"
)

func TestServiceRestart(t *testing.T) {
	n := func(v uint64) *uint64 { return &v }
	for _, tc := range []struct {
		p     *swarm.RestartPolicy
		name  string
		count int
	}{
		{nil, "always", 0},
		{&swarm.RestartPolicy{}, "always", 0},
		{&swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny}, "always", 0},
		{&swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, MaxAttempts: n(100)}, "on-failure", 100},
		{&swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure}, "on-failure", 0},
		{&swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure, MaxAttempts: n(3)}, "on-failure", 3},
		{&swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone, MaxAttempts: n(3)}, "no", 0},
		{&swarm.RestartPolicy{MaxAttempts: n(1 << 40)}, "on-failure", 1<<31 - 1},
	} {
		got := serviceRestart(tc.p)
		if string(got.Name) != tc.name || got.MaximumRetryCount != tc.count {
			t.Errorf("%+v: %s:%d, want %s:%d", tc.p, got.Name, got.MaximumRetryCount, tc.name, tc.count)
		}
	}
}

// The same spec, read as an inspected service and as a request, maps to
// the same container facts (only the field prefix of locations differs).
func TestServiceSpecSurfaces(t *testing.T) {
	max := uint64(100)
	spec := swarm.ServiceSpec{TaskTemplate: swarm.TaskSpec{
		ContainerSpec: &swarm.ContainerSpec{Image: "app:1", User: "0", CapabilityAdd: []string{"NET_ADMIN"},
			Privileges: &swarm.Privileges{NoNewPrivileges: true, Seccomp: &swarm.SeccompOpts{Mode: swarm.SeccompModeUnconfined}}},
		RestartPolicy: &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionAny, MaxAttempts: &max},
		Networks:      []swarm.NetworkAttachmentConfig{{Target: "abc123"}},
	}}
	ports := []swarm.PortConfig{{TargetPort: 80, PublishedPort: 8080}}
	resolve := func(target string) (string, bool) { return target, target == "abc123" }
	a := Map(ServiceSpec(Service{Spec: spec, Ports: ports, PortsField: "Endpoint.Ports", Network: resolve, Prefix: "Spec.", Origin: facts.Location{Engine: "h", Object: "service s"}}))
	b := Map(ServiceSpec(Service{Spec: spec, Ports: ports, PortsField: "EndpointSpec.Ports", Network: resolve, Origin: facts.Location{Engine: "api", Object: "service s"}}))
	if a.Namespaces[facts.NSNetwork].V != b.Namespaces[facts.NSNetwork].V || a.Namespaces[facts.NSNetwork].V != "host" {
		t.Errorf("network mode %q / %q, want host", a.Namespaces[facts.NSNetwork].V, b.Namespaces[facts.NSNetwork].V)
	}
	if a.User.V != b.User.V || a.Restart.V.Name != b.Restart.V.Name || a.Restart.V.Name != "on-failure" || a.Restart.V.MaxRetry != 100 {
		t.Errorf("user %q/%q restart %+v/%+v", a.User.V, b.User.V, a.Restart.V, b.Restart.V)
	}
	if len(a.Published) != 1 || len(b.Published) != 1 || a.Published[0].HostPort != b.Published[0].HostPort {
		t.Errorf("ports %+v / %+v", a.Published, b.Published)
	}
}
