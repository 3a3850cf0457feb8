package facts

// SubjectScript is the subject kind of findings about shell code that runs
// on a host or CI runner: a shell script, a Makefile target, a CI job.
const SubjectScript = "script"

// Script is shell code that runs outside any image build: a shell script,
// the recipes of a Makefile target, the steps of a CI job. The containers
// its commands start are Container facts of their own; a Script holds what
// is judged about the code itself: downloads piped into a shell, TLS checks
// turned off, image verification switched off, credentials and build
// arguments written on command lines.
type Script struct {
	// Path is the file the code is in.
	Path    string
	Subject Subject
	// Commands are the simple commands, in source order, with `sh -c`
	// bodies and substitutions followed (see package shell).
	Commands []*Command
	// Env is the environment the file gives the code besides the code
	// itself: a workflow's env:, GitLab CI variables:.
	Env []EnvVar
	// Credentials are registry passwords written into the input: a literal
	// `docker login -p`, a CI container's credentials.password.
	Credentials []Credential
	// BuildArgs are the --build-arg values of the image builds the code
	// runs (docker build, buildx, podman, buildah); Dynamic when the value
	// comes from a variable or the environment.
	BuildArgs []EnvVar
}

// Credential is a password or token written in an input.
type Credential struct {
	// What names where it is given: "docker login -p",
	// "container credentials.password".
	What  string
	Value string
	At    Location
}
