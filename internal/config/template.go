package config

// Template is the file `dockguard init` writes: every key, commented out at
// its default, with what it does.
const Template = `# dockguard configuration. dockguard finds this file in the folder it runs in
# or any parent folder; --config names another one. Every key is optional and
# shown at its default, commented out. Rules are named by ID (DG301), slug
# (root-user) or control (non-root-user, meaning all of its rules); see
# ` + "`dockguard rules`" + `.

# Exit 1 when a finding is at or above this severity: critical, high, medium,
# low, info, or none (never). The --fail-on flag wins over this key.
# failOn: high

# Rules that do not run.
# disable: []          # e.g. [no-healthcheck, DG421]

# Rules that are off by default and should run.
# enable: []

# Severity overrides: every finding of the rule gets this severity.
# severity: {}         # e.g. {root-user: high, image-unpinned: info}

# The largest limits that still count as limits (reported above them).
# maxMemory: 0         # e.g. 2g; 0 accepts any memory limit
# maxPids: 0           # e.g. 4096; 0 accepts any PIDs limit
# maxRestartRetries: 0 # e.g. 5; 0 accepts any on-failure:N

# Require images to be pinned by digest (image-unpinned); false accepts tags.
# requireDigestPinning: true

# Capabilities that may be added without a finding (the same list as
# allow.capabilities, kept for older files).
# allowedCapabilities: []   # e.g. [NET_ADMIN]

# Registries (or registry/path prefixes) images may come from; empty: any.
# trustedRegistries: []     # e.g. [ghcr.io/acme, registry.internal:5000]

# Host paths to treat like /etc when bind-mounted (besides the built-in list).
# sensitivePaths: []        # e.g. [/srv/secrets]

# Image paths that may have the SUID/SGID bit (suid-added skips them).
# suidAllow: []             # e.g. [/usr/bin/ping]

# Label keys that mark a container's trust level and tenant, for the
# host-segregation rules.
# trustLabel: dockguard.trust
# tenantLabel: dockguard.tenant

# What dockguard harden writes. Limits come from, in order: the entry for the
# service (or container name) or its image here, the usage observed on a
# running engine (harden --observe: peak x --headroom), the keys directly
# under harden:, then the built-in defaults shown. maxMemory, maxPids and
# maxRestartRetries above still cap what is written. public: true keeps
# published ports on every interface; tmpfs adds paths to the ones harden
# chooses (/tmp, and the image's own from its table) under read_only.
# harden:
#   memory: 512m
#   cpus: 1
#   pids: 256
#   nofile: 1024:2048
#   nproc: 512
#   restartRetries: 5
#   public: false
#   tmpfs: []
#   services: {}   # e.g. {web: {memory: 1g, public: true, tmpfs: [/var/cache/app]}}
#   images: {}     # e.g. {nginx: {memory: 256m}, "postgres:17": {pids: 512}}

# The signature every image audited with --image must carry (image-signature):
# a cosign public key, or a keyless identity and issuer (exact, or *Regexp
# for a Go regular expression) with an offline trustedRoot; paths are taken
# from this file's folder. Signature flags on the command line replace it.
# imageSignature:
#   key: cosign.pub
#   certificateIdentity: ""          # e.g. release@example.com
#   certificateOidcIssuer: ""        # e.g. https://token.actions.githubusercontent.com
#   trustedRoot: ""                  # e.g. trusted_root.json

# Allow-lists, read alike by the audit and enforcement: each widens what one
# rule takes as safe. Nothing here allows privileged, host namespaces or the
# runtime socket.
# allow:
#   bindRoots: []         # host folders restricted lets binds come from, e.g. [/srv/app]
#   devices: []           # host devices beyond named character devices, e.g. [/dev/sdb]
#   capabilities: []      # capabilities that may be added, e.g. [NET_ADMIN]
#   seccompProfiles: []   # sha256 of a profile's canonical JSON (dockguard enforce seccomp-hash FILE)
#   apparmorProfiles: []  # AppArmor profiles besides docker-default
#   selinuxTypes: []      # SELinux types besides container_t and its kin
#   volumeDrivers: []     # volume plugins besides local
#   volumeTypes: []       # local-volume filesystem types besides tmpfs, nfs and cifs, e.g. [ext4]
#   sysctls: []           # kernel parameters beyond the namespaced ones, e.g. [net.ipv4.ip_forward]
#   runtimes: []          # OCI runtimes besides the daemon's default, e.g. [runsc]

# Enforcement (dockguard enforce plugin / proxy): mode enforce, warn or audit;
# the profile decides what denies (baseline@v1 blocks every known path to
# host root, restricted@v1 also requires hardening); per-rule deny, warn or
# off; exemptions only by what the requester cannot choose, an image named by
# its digest (a sha256 digest, or repository@digest) and a client identity
# (the TLS client certificate's common name).
# enforce:
#   mode: enforce
#   profile: baseline@v1
#   rules: {}                   # e.g. {root-user: deny, host-device: off}
#   unknownImageUser: deny
#   allowBuilds: true
#   allowExecRoot: false
#   allowPlugins: false
#   allowArchiveWrites: false
#   maxBody: 4m
#   api: full                   # the proxy only: full, or read-only for monitoring tools
#   redactEnv: false            # the proxy only: environment values replaced in inspect answers
#   exempt: {images: [], users: []}
`
