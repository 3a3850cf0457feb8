#!/usr/bin/env bash
# compare-image-scanners.sh: run dockguard, trivy and dockle side by side on the
# same image archives and print wall time, peak RSS and, for a small image with
# planted problems, which tool found which problem.
#
# What it does, all inside a temporary work folder OUTSIDE this repository
# (WORK, default /tmp/dockguard-compare.XXXXXX; the script refuses a folder
# inside the repository):
#   1. builds dockguard from this checkout's working tree into WORK/bin;
#   2. builds trivy (go install of github.com/aquasecurity/trivy/cmd/trivy at
#      TRIVY_VERSION, with GOEXPERIMENT=jsonv2 as trivy's own release build
#      uses) and dockle (from DOCKLE_SRC, a checkout of
#      github.com/goodwithtech/dockle, else go install at DOCKLE_VERSION) into
#      WORK/bin. Neither is ever built into, vendored into or recorded in this
#      repository; go.mod is not touched. TRIVY_BIN / DOCKLE_BIN use
#      binaries you already have instead;
#   3. writes the planted image (a Go program kept below, compiled in WORK
#      with go-containerregistry at the version of this repository's go.mod)
#      as a docker save archive and an OCI layout: SUID sudo and passwd, SGID
#      wall, /srv/shared mode 0777 without the sticky bit, /root/.ssh/id_rsa,
#      /root/.aws/credentials, a GitHub token in /app/config/settings.ini, a
#      GitLab token in /opt/build/deploy.env deleted by a later layer
#      (whiteout), no USER (root), no HEALTHCHECK, EXPOSE 22, DB_PASSWORD and
#      GH_TOKEN in ENV; and controls that must not alarm (/tmp 1777, a plain
#      binary, a README that mentions a password without one);
#   4. writes the benchmark image of internal/source/image (BenchmarkScan,
#      IMAGE_MB MiB uncompressed, 5 gzip layers, about 100 files per MiB) as a
#      docker save archive and an OCI layout (when BenchmarkScan leaves no
#      layout beside the archive, the generator copies the archive into one);
#   5. runs every tool RUNS times on every image under /usr/bin/time, offline
#      (trivy: secret scanner and image-config misconfig/secret scanners only,
#      no database download, in-memory cache so no run reuses another's
#      work), and prints the best wall time and the peak RSS range, with the
#      load average before each group, plus the time of `gzip -dc` over the
#      benchmark's layers as a floor.
#
# Needs: bash, Go (the version of go.mod), the Go module proxy (trivy's,
# dockle's and the generator's dependencies), jq, GNU time at /usr/bin/time,
# gzip, about 3 GiB free in WORK for IMAGE_MB=1024.
#
# Run from anywhere:
#   scripts/compare-image-scanners.sh
#   DOCKLE_SRC=~/src/dockle IMAGE_MB=1024 RUNS=3 scripts/compare-image-scanners.sh
#   IMAGE_MB=0 scripts/compare-image-scanners.sh       # planted image only
# Knobs: WORK, RUNS (3), IMAGE_MB (1024; 0 skips the benchmark image),
# TRIVY_VERSION (v0.74.0), DOCKLE_VERSION (latest), DOCKLE_SRC, TRIVY_BIN,
# DOCKLE_BIN, DOCKGUARD_BIN (a dockguard binary instead of building the
# working tree), BENCH_ARCHIVE (reuse a BenchmarkScan archive; its layer*.tar.gz
# beside it give the gzip floor).
# Results: WORK/out (each tool's JSON per image, times.tsv, findings.tsv).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-3}
IMAGE_MB=${IMAGE_MB:-1024}
TRIVY_VERSION=${TRIVY_VERSION:-v0.74.0}
DOCKLE_VERSION=${DOCKLE_VERSION:-latest}
export GOTOOLCHAIN=${GOTOOLCHAIN:-local}
WORK=${WORK:-$(mktemp -d /tmp/dockguard-compare.XXXXXX)}
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
case "$WORK/" in "$REPO"/*)
	echo "compare-image-scanners: WORK ($WORK) is inside the repository; pick a folder outside it" >&2
	exit 2
	;;
esac
for c in go jq gzip /usr/bin/time; do
	command -v "$c" >/dev/null || { echo "compare-image-scanners: $c is needed" >&2; exit 2; }
done
BIN=$WORK/bin OUT=$WORK/out IMG=$WORK/img
mkdir -p "$BIN" "$OUT" "$IMG"
log() { printf '== %s\n' "$*" >&2; }

# 1. dockguard, from the working tree.
REV=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo '?')
if [ -n "${DOCKGUARD_BIN:-}" ]; then
	ln -sf "$DOCKGUARD_BIN" "$BIN/dockguard"
	REV="$DOCKGUARD_BIN"
else
	log "building dockguard from $REPO (HEAD $REV and any uncommitted changes)"
	(cd "$REPO" && go build -o "$BIN/dockguard" ./cmd/dockguard)
	REV="$REV (working tree)"
fi

# 2. trivy and dockle, outside the repository.
if [ -n "${TRIVY_BIN:-}" ]; then
	ln -sf "$TRIVY_BIN" "$BIN/trivy"
elif [ ! -x "$BIN/trivy" ]; then
	log "building trivy $TRIVY_VERSION (slow: several minutes on 2 CPUs)"
	(cd "$WORK" && GOEXPERIMENT=jsonv2 CGO_ENABLED=0 GOBIN="$BIN" GOFLAGS= \
		go install -ldflags "-s -w -X github.com/aquasecurity/trivy/pkg/version/app.ver=${TRIVY_VERSION#v}" \
		"github.com/aquasecurity/trivy/cmd/trivy@$TRIVY_VERSION")
fi
if [ -n "${DOCKLE_BIN:-}" ]; then
	ln -sf "$DOCKLE_BIN" "$BIN/dockle"
elif [ ! -x "$BIN/dockle" ]; then
	if [ -n "${DOCKLE_SRC:-}" ]; then
		log "building dockle from $DOCKLE_SRC"
		dv=$(git -C "$DOCKLE_SRC" describe --tags 2>/dev/null || echo "source at $DOCKLE_SRC")
		(cd "$DOCKLE_SRC" && CGO_ENABLED=0 GOFLAGS= go build -ldflags "-X 'github.com/goodwithtech/dockle/pkg.version=$dv'" -o "$BIN/dockle" ./cmd/dockle) || true
	else
		log "building dockle $DOCKLE_VERSION"
		(cd "$WORK" && CGO_ENABLED=0 GOBIN="$BIN" GOFLAGS= go install "github.com/goodwithtech/dockle/cmd/dockle@$DOCKLE_VERSION") || true
	fi
	[ -x "$BIN/dockle" ] || log "dockle could not be built (set DOCKLE_SRC to a checkout, or DOCKLE_BIN); its columns stay empty"
fi
TOOLS="dockguard trivy"
[ -x "$BIN/dockle" ] && TOOLS="$TOOLS dockle"
{
	echo "dockguard $REV"
	echo "trivy $("$BIN/trivy" --version 2>/dev/null | head -1)"
	[ -x "$BIN/dockle" ] && echo "dockle $("$BIN/dockle" --version 2>/dev/null | head -1)"
	echo "go $(go env GOVERSION), $(nproc) CPUs"
} | tee "$OUT/versions.txt" >&2

# 3. The planted image.
mkdir -p "$WORK/gen"
cat >"$WORK/gen/main.go" <<'GO'
// Command plantedimage writes a small image with known problems as a
// docker save archive and as an OCI layout, for comparing image scanners.
package main

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Planted secrets: each is distinct, so a finding names the place it came from.
const (
	ghTokenFile = "ghp_R2d4Xk9mQp7Lw3Zt8Vb6Nc1Hs5Jy0Fg4Ae2D" // app/config/settings.ini
	ghTokenEnv  = "ghp_T8k2Wq5Zr9Lm3Xc7Vb1Nd4Hs6Jp0Fy2Ga8Ue" // ENV GH_TOKEN
	glToken     = "glpat-Xq3Lm9Pz7Rk2Tn5Vw8Yb"               // opt/build/deploy.env, deleted by layer 3
	awsKeyID    = "AKIAQ4Z7LM2NXR5TKW3P"
	awsSecret   = "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" // 40 characters
	dbPassword  = "hunter2-Zq8Lm4Rt"                         // ENV DB_PASSWORD
)

type entry struct {
	name string
	mode int64
	dir  bool
	gid  int
	body string
}

func layer(entries ...entry) v1.Layer {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mt := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Gid: e.gid, ModTime: mt, Typeflag: tar.TypeReg, Size: int64(len(e.body))}
		if e.dir {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		must(tw.WriteHeader(h))
		_, err := tw.Write([]byte(e.body))
		must(err)
	}
	must(tw.Close())
	raw := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(raw)), nil })
	must(err)
	return l
}

func must(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "plantedimage:", err)
		os.Exit(1)
	}
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "-to-oci" {
		toOCI(os.Args[2], os.Args[3])
		return
	}
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: plantedimage OUTDIR  (writes OUTDIR/planted.tar and OUTDIR/planted-oci/)\n       plantedimage -to-oci ARCHIVE DIR  (copies a docker save archive's image into an OCI layout)")
		os.Exit(2)
	}
	out := os.Args[1]
	if len(awsSecret) != 40 || len(ghTokenFile) != 40 || len(ghTokenEnv) != 40 || len(glToken) != 26 {
		must(fmt.Errorf("planted secret of the wrong length"))
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(err)
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	elf := "\x7fELF\x02\x01\x01\x00" + string(make([]byte, 120)) // not runnable; scanners only read modes and names

	base := layer(
		entry{name: "bin/", mode: 0o755, dir: true},
		entry{name: "bin/sh", mode: 0o755, body: elf},
		entry{name: "etc/", mode: 0o755, dir: true},
		entry{name: "etc/passwd", mode: 0o644, body: "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n"},
		entry{name: "etc/group", mode: 0o644, body: "root:x:0:\ntty:x:5:\napp:x:1000:\n"},
		entry{name: "usr/", mode: 0o755, dir: true},
		entry{name: "usr/bin/", mode: 0o755, dir: true},
		entry{name: "usr/bin/sudo", mode: 0o4755, body: elf},         // planted: SUID (and sudo)
		entry{name: "usr/bin/passwd", mode: 0o4755, body: elf},       // planted: SUID
		entry{name: "usr/bin/wall", mode: 0o2755, gid: 5, body: elf}, // planted: SGID
		entry{name: "usr/bin/env", mode: 0o755, body: elf},           // control: plain binary
		entry{name: "tmp/", mode: 0o1777, dir: true},                 // control: world-writable with sticky bit
		entry{name: "srv/", mode: 0o755, dir: true},
		entry{name: "srv/shared/", mode: 0o777, dir: true}, // planted: world-writable, no sticky bit
		entry{name: "opt/", mode: 0o755, dir: true},
		entry{name: "opt/build/", mode: 0o755, dir: true},
		entry{name: "opt/build/deploy.env", mode: 0o600, body: "GITLAB_TOKEN=" + glToken + "\n"}, // planted: deleted by layer 3
	)
	app := layer(
		entry{name: "root/", mode: 0o700, dir: true},
		entry{name: "root/.ssh/", mode: 0o700, dir: true},
		entry{name: "root/.ssh/id_rsa", mode: 0o600, body: pemKey}, // planted: private key
		entry{name: "root/.aws/", mode: 0o700, dir: true},
		entry{name: "root/.aws/credentials", mode: 0o600, // planted: AWS credentials file
			body: "[default]\naws_access_key_id = " + awsKeyID + "\naws_secret_access_key = " + awsSecret + "\n"},
		entry{name: "app/", mode: 0o755, dir: true},
		entry{name: "app/config/", mode: 0o755, dir: true},
		entry{name: "app/config/settings.ini", mode: 0o644, body: "[github]\norg = example\ntoken = " + ghTokenFile + "\n"},         // planted: GitHub token
		entry{name: "app/README.md", mode: 0o644, body: "Set DB_PASSWORD in the environment; the password is never stored here.\n"}, // control
	)
	rm := layer(entry{name: "opt/build/.wh.deploy.env", mode: 0o644})

	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: base, History: v1.History{CreatedBy: "/bin/sh -c #(nop) ADD file:0f1e2d3c4b5a in / "}},
		mutate.Addendum{Layer: app, History: v1.History{CreatedBy: "/bin/sh -c #(nop) COPY dir:a1b2c3d4e5f6 in / "}},
		mutate.Addendum{Layer: rm, History: v1.History{CreatedBy: "/bin/sh -c rm -f /opt/build/deploy.env"}},
	)
	must(err)
	cf, err := img.ConfigFile()
	must(err)
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS = "amd64", "linux"
	cf.Created = v1.Time{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	cf.Config = v1.Config{
		// planted: no User (root), no Healthcheck, port 22, secrets in Env.
		Env:          []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "DB_PASSWORD=" + dbPassword, "GH_TOKEN=" + ghTokenEnv},
		ExposedPorts: map[string]struct{}{"22/tcp": {}, "8080/tcp": {}},
		Cmd:          []string{"/bin/sh"},
	}
	for _, h := range []string{
		"/bin/sh -c #(nop)  ENV DB_PASSWORD=" + dbPassword,
		"/bin/sh -c #(nop)  ENV GH_TOKEN=" + ghTokenEnv,
		"/bin/sh -c #(nop)  EXPOSE 22/tcp 8080/tcp",
		`/bin/sh -c #(nop)  CMD ["/bin/sh"]`,
	} {
		cf.History = append(cf.History, v1.History{CreatedBy: h, EmptyLayer: true})
	}
	img, err = mutate.ConfigFile(img, cf)
	must(err)

	must(os.MkdirAll(out, 0o755))
	ref, err := name.NewTag("planted:1.0")
	must(err)
	f, err := os.Create(filepath.Join(out, "planted.tar"))
	must(err)
	must(tarball.Write(ref, img, f))
	must(f.Close())
	ociDir := filepath.Join(out, "planted-oci")
	must(os.RemoveAll(ociDir))
	p, err := layout.Write(ociDir, empty.Index)
	must(err)
	must(p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1.0"})))
	fmt.Println(filepath.Join(out, "planted.tar"), ociDir)
}

// toOCI copies the only image of a docker save archive into a new OCI
// layout, layers as they are (no recompression).
func toOCI(archive, dir string) {
	img, err := tarball.ImageFromPath(archive, nil)
	must(err)
	must(os.RemoveAll(dir))
	p, err := layout.Write(dir, empty.Index)
	must(err)
	must(p.AppendImage(img, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": "1"})))
	fmt.Println(dir)
}
GO
GGCR=$(cd "$REPO" && go list -m -f '{{.Version}}' github.com/google/go-containerregistry)
printf 'module plantedimage\n\ngo 1.26\n\nrequire github.com/google/go-containerregistry %s\n' "$GGCR" >"$WORK/gen/go.mod"
log "building the planted image (go-containerregistry $GGCR)"
(cd "$WORK/gen" && GOFLAGS=-mod=mod go mod tidy && go build -o "$BIN/plantedimage" .)
"$BIN/plantedimage" "$IMG" >/dev/null

# 4. The benchmark image.
IMAGES="planted.tar planted-oci"
if [ "$IMAGE_MB" != 0 ]; then
	if [ -n "${BENCH_ARCHIVE:-}" ]; then
		BENCH_DIR=$(cd "$(dirname "$BENCH_ARCHIVE")" && pwd)
		ln -sf "$BENCH_ARCHIVE" "$IMG/bench.tar"
	else
		BENCH_DIR=$WORK/bench
		mkdir -p "$BENCH_DIR"
		log "writing the ${IMAGE_MB} MiB benchmark image (go test -bench BenchmarkScan)"
		(cd "$REPO" && DOCKGUARD_BENCH_DIR="$BENCH_DIR" DOCKGUARD_BENCH_IMAGE_MB="$IMAGE_MB" \
			go test -run '^$' -bench BenchmarkScan -benchtime 1x ./internal/source/image) >"$OUT/benchmark.txt"
		ln -sf "$BENCH_DIR/bench.tar" "$IMG/bench.tar"
	fi
	if [ -f "$BENCH_DIR/bench-oci/oci-layout" ]; then
		ln -sfn "$BENCH_DIR/bench-oci" "$IMG/bench-oci" # BenchmarkScan's own layout
	else
		"$BIN/plantedimage" -to-oci "$IMG/bench.tar" "$IMG/bench-oci" >/dev/null
	fi
	IMAGES="$IMAGES bench.tar bench-oci"
fi

# 5. Runs.
export TRIVY_CACHE_DIR=$WORK/trivy-cache TRIVY_NO_PROGRESS=true
cmdline() { # tool image -> command
	local tool=$1 im=$IMG/$2
	case "$tool:$2" in
	dockguard:*.tar) echo "$BIN/dockguard audit --image docker-archive:$im --format json --fail-on none" ;;
	dockguard:*) echo "$BIN/dockguard audit --image oci:$im --format json --fail-on none" ;;
	trivy:*) echo "$BIN/trivy image --input $im --scanners secret --image-config-scanners misconfig,secret --skip-db-update --skip-java-db-update --skip-check-update --offline-scan --cache-backend memory --quiet --timeout 60m --format json" ;;
	dockle:*.tar) echo "$BIN/dockle --input $im --format json --exit-code 0 --timeout 60m" ;;
	*) echo "" ;; # dockle reads docker save archives only
	esac
}
printf 'image\ttool\trun\twall_s\tmaxrss_kb\tuser_s\tsys_s\texit\tload1\n' >"$OUT/times.tsv"
if [ -n "${BENCH_DIR:-}" ] && ls "$BENCH_DIR"/layer*.tar.gz >/dev/null 2>&1; then
	for r in $(seq "$RUNS"); do
		load=$(cut -d' ' -f1 /proc/loadavg)
		/usr/bin/time -f '%e\t%M\t%U\t%S\t%x' -o "$OUT/time.txt" sh -c 'for f in "$@"; do gzip -dc "$f" >/dev/null; done' sh "$BENCH_DIR"/layer*.tar.gz || true
		printf 'bench layers\tgzip -dc\t%s\t%s\t%s\n' "$r" "$(cat "$OUT/time.txt")" "$load" >>"$OUT/times.tsv"
	done
fi
for im in $IMAGES; do
	for tool in $TOOLS; do
		cmd=$(cmdline "$tool" "$im")
		[ -n "$cmd" ] || continue
		echo "$cmd" >>"$OUT/commands.txt"
		for r in $(seq "$RUNS"); do
			load=$(cut -d' ' -f1 /proc/loadavg)
			log "$tool on $im, run $r (load $load)"
			# shellcheck disable=SC2086 # cmd is split on purpose
			/usr/bin/time -f '%e\t%M\t%U\t%S\t%x' -o "$OUT/time.txt" $cmd >"$OUT/$tool-$im.json" 2>"$OUT/$tool-$im.err" || true
			printf '%s\t%s\t%s\t%s\t%s\n' "$im" "$tool" "$r" "$(tail -1 "$OUT/time.txt")" "$load" >>"$OUT/times.tsv"
		done
	done
done

echo
echo "## Time and memory (best of $RUNS runs for wall time and CPU time (user+sys); peak RSS lowest..highest of the runs; load = 1-minute load average before each run, $(nproc) CPUs: on a busy machine CPU time is the steadier figure)"
echo
echo "| image | tool | best wall s | best CPU s | peak RSS MiB | exit | load |"
echo "|---|---|---:|---:|---:|---|---|"
awk -F'\t' 'NR > 1 {
	k = $1 "\t" $2
	if (!(k in best) || $4 < best[k]) best[k] = $4
	if (!(k in cpu) || $6 + $7 < cpu[k]) cpu[k] = $6 + $7
	if (!(k in lo) || $5 < lo[k]) lo[k] = $5
	if (!(k in hi) || $5 > hi[k]) hi[k] = $5
	ex[k] = ex[k] (ex[k] == "" ? "" : ",") $8
	ld[k] = ld[k] (ld[k] == "" ? "" : ",") $9
	if (!(k in seen)) { seen[k] = 1; order[n++] = k }
}
END {
	for (i = 0; i < n; i++) {
		k = order[i]; split(k, p, "\t")
		printf "| %s | %s | %.2f | %.2f | %.0f..%.0f | %s | %s |\n", p[1], p[2], best[k], cpu[k], lo[k] / 1024, hi[k] / 1024, ex[k], ld[k]
	}
}' "$OUT/times.tsv"

# Findings, one line per finding: id, text.
flatten() { # tool file
	case $1 in
	dockguard) jq -r '.findings[]? | [.slug, .message] | @tsv' "$2" ;;
	trivy) jq -r '.Results[]? | .Target as $t |
		(.Secrets[]? | ["secret:" + .RuleID, "\($t) \(.Title) line \(.StartLine) layer \(.Layer.DiffID // "" | .[7:19]) \(.Match // "")"]),
		(.Misconfigurations[]? | select(.Status != "PASS") | ["misconfig:" + .ID, "\($t) \(.Title): \(.Message)"]) | @tsv' "$2" ;;
	dockle) jq -r '.details[]? | select(.level != "PASS" and .level != "SKIP") | .code as $c | .level as $l |
		(if (.alerts | length) == 0 then [$c, "\($l) \(.title)"] else (.alerts[] | [$c, "\($l) \(.)"]) end) | @tsv' "$2" ;;
	esac
}
echo
echo "## Number of findings per image (the same image as archive and as OCI layout should give the same count)"
echo
for im in $IMAGES; do
	printf -- '- %s:' "$im"
	for tool in $TOOLS; do
		f=$OUT/$tool-$im.json
		[ -s "$f" ] && printf ' %s %s;' "$tool" "$(flatten "$tool" "$f" | wc -l)"
	done
	echo
done
for tool in $TOOLS; do
	f=$OUT/$tool-planted.tar.json
	[ -s "$f" ] && flatten "$tool" "$f" | sed "s/^/$tool\t/"
done >"$OUT/findings.tsv"

# Planted problems: label and an extended regex over "id text".
PLANTED=(
	"SUID /usr/bin/sudo|(suid|setuid|CIS-DI-0008).*usr/bin/sudo"
	"SUID /usr/bin/passwd|(suid|setuid|CIS-DI-0008).*usr/bin/passwd"
	"SGID /usr/bin/wall|(sgid|setgid|CIS-DI-0008).*usr/bin/wall"
	"sudo installed|^(sudo|DKL-DI-0001) "
	"/srv/shared 0777, no sticky bit|srv/shared"
	"private key /root/.ssh/id_rsa|root/\.ssh/id_rsa"
	"AWS credentials /root/.aws/credentials|root/\.aws/credentials"
	"GitHub token in /app/config/settings.ini|app/config/settings\.ini"
	"GitLab token in deleted /opt/build/deploy.env|opt/build/deploy\.env"
	"runs as root (no USER)|^(root-user|CIS-DI-0001|misconfig:DS-?0*02) "
	"no HEALTHCHECK|^(no-healthcheck|CIS-DI-0006|misconfig:DS-?0*26) "
	"EXPOSE 22|^(expose-ssh|misconfig:DS-?0*04) "
	"ENV DB_PASSWORD|env.*DB_PASSWORD|DB_PASSWORD="
	"ENV GH_TOKEN (also in history)|GH_TOKEN|token in the image history"
	"control: /tmp 1777 (must stay -)| /?tmp/?( |$|\))"
	"control: /usr/bin/env (must stay -)|usr/bin/env"
	"control: /app/README.md (must stay -)|app/README\.md"
)
echo
echo "## Planted problems found (count of findings that name it; - = none)"
echo
printf '| planted problem |'; for t in $TOOLS; do printf ' %s |' "$t"; done; echo
printf '|---|'; for t in $TOOLS; do printf -- '---|'; done; echo
all=""
for p in "${PLANTED[@]}"; do
	label=${p%%|*} re=${p#*|}
	all="$all${all:+|}($re)"
	printf '| %s |' "$label"
	for t in $TOOLS; do
		n=$(awk -F'\t' -v t="$t" '$1 == t { print $2 " " $3 }' "$OUT/findings.tsv" | grep -Eic -- "$re" || true)
		[ "$n" = 0 ] && n=-
		printf ' %s |' "$n"
	done
	echo
done
echo
echo "## Findings on the planted image that match no planted problem (judge by hand: false alarm, or a real finding that was not planted)"
echo
awk -F'\t' '{ print $1 "\t" $2 "\t" $3 }' "$OUT/findings.tsv" | while IFS=$'\t' read -r t id text; do
	printf '%s %s\n' "$id" "$text" | grep -Eiq -- "$all" || printf -- '- %s: %s %s\n' "$t" "$id" "$text"
done
echo
echo "Commands: $OUT/commands.txt; raw times: $OUT/times.tsv; outputs: $OUT/<tool>-<image>.json (stderr in .err)"
