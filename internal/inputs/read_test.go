package inputs

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestRead(t *testing.T) {
	// A multi-byte character straddling the 8 KiB sniffing boundary.
	straddle := strings.Repeat("a", sniffLen-1) + "é" + "\n"
	tests := []struct {
		name    string
		setup   func(t *testing.T, path string)
		limit   int64
		want    string // content expected back when wantErr is ""
		wantErr string
	}{
		{
			name: "text round-trips",
			setup: func(t *testing.T, p string) {
				writeFile(t, p, "FROM alpine:3.20\nRUN echo héllo ✓\n")
			},
			want: "FROM alpine:3.20\nRUN echo héllo ✓\n",
		},
		{
			name:  "empty file",
			setup: func(t *testing.T, p string) { writeFile(t, p, "") },
			want:  "",
		},
		{
			name:  "UTF-8 BOM is text and kept",
			setup: func(t *testing.T, p string) { writeFile(t, p, "\xEF\xBB\xBFFROM scratch\n") },
			want:  "\xEF\xBB\xBFFROM scratch\n",
		},
		{
			name:  "character cut by the sniffing boundary is still text",
			setup: func(t *testing.T, p string) { writeFile(t, p, straddle) },
			want:  straddle,
		},
		{
			name: "only the first 8 KiB are sniffed",
			setup: func(t *testing.T, p string) {
				writeFile(t, p, strings.Repeat("#\n", sniffLen)+"\xff\x00")
			},
			want: strings.Repeat("#\n", sniffLen) + "\xff\x00",
		},
		{
			name:  "exactly at the limit",
			setup: func(t *testing.T, p string) { writeFile(t, p, "0123456789") },
			limit: 10,
			want:  "0123456789",
		},
		{
			name:  "symlink to a file",
			setup: func(t *testing.T, p string) { writeFile(t, p+".real", "FROM scratch\n"); symlink(t, p+".real", p) },
			want:  "FROM scratch\n",
		},
		{
			name:    "one byte over a small limit",
			setup:   func(t *testing.T, p string) { writeFile(t, p, "0123456789!") },
			limit:   10,
			wantErr: "file is 11 B, over the 10 B limit",
		},
		{
			name: "100 MB sparse file refused before reading",
			setup: func(t *testing.T, p string) {
				f, err := os.Create(p)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				if err := f.Truncate(100 << 20); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "file is 100 MB, over the 8 MB limit",
		},
		{
			name: "just over the default limit shows exact sizes",
			setup: func(t *testing.T, p string) {
				if err := os.WriteFile(p, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(p, MaxFileSize+1); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "file is 8388609 B, over the 8388608 B limit",
		},
		{
			name:    "NUL bytes",
			setup:   func(t *testing.T, p string) { writeFile(t, p, "FROM scratch\n\x00\x01\x02") },
			wantErr: "binary file, not text",
		},
		{
			name:    "invalid UTF-8",
			setup:   func(t *testing.T, p string) { writeFile(t, p, "# caf\xe9\nFROM scratch\n") },
			wantErr: "binary file, not text",
		},
		{
			name:    "UTF-16 little-endian BOM",
			setup:   func(t *testing.T, p string) { writeFile(t, p, "\xFF\xFEF\x00R\x00O\x00M\x00") },
			wantErr: "UTF-16 text is not supported; save it as UTF-8",
		},
		{
			name:    "UTF-16 big-endian BOM",
			setup:   func(t *testing.T, p string) { writeFile(t, p, "\xFE\xFF\x00F\x00R\x00O\x00M") },
			wantErr: "UTF-16 text is not supported; save it as UTF-8",
		},
		{
			name: "directory",
			setup: func(t *testing.T, p string) {
				if err := os.Mkdir(p, 0o755); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: "not a regular file",
		},
		{
			name:    "missing",
			setup:   func(*testing.T, string) {},
			wantErr: "no such file or directory",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "Dockerfile")
			tt.setup(t, p)
			start := time.Now()
			got, err := Read(p, tt.limit)
			if elapsed := time.Since(start); elapsed > 2*time.Second {
				t.Errorf("Read took %v", elapsed)
			}
			checkReadResult(t, p, got, err, tt.want, tt.wantErr)
		})
	}
}

func checkReadResult(t *testing.T, path string, got []byte, err error, want, wantErr string) {
	t.Helper()
	if wantErr == "" {
		if err != nil {
			t.Fatalf("Read: %v", err)
		}
		if !bytes.Equal(got, []byte(want)) {
			t.Errorf("Read = %q, want %q", got, want)
		}
		return
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Read error = %v (%T), want *Error %q", err, err, wantErr)
	}
	if e.Path != path || e.Message != wantErr || e.Line != 0 {
		t.Errorf("Read error = %+v, want {Path:%s Message:%s}", *e, path, wantErr)
	}
	if got != nil {
		t.Errorf("Read returned %d bytes along with an error", len(got))
	}
}

func TestReadPermissionDenied(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root, which reads mode 0 files anyway; TestReadErrorMessage covers the message")
	}
	p := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(p, []byte("FROM scratch\n"), 0); err != nil {
		t.Fatal(err)
	}
	got, err := Read(p, 0)
	checkReadResult(t, p, got, err, "", "cannot read: permission denied")
}

func TestReadErrorMessage(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "x/Dockerfile", Err: syscall.EACCES}, "x/Dockerfile: cannot read: permission denied"},
		{&fs.PathError{Op: "read", Path: "x/Dockerfile", Err: syscall.EIO}, "x/Dockerfile: cannot read: input/output error"},
		{&fs.PathError{Op: "stat", Path: "x/Dockerfile", Err: syscall.ENOENT}, "x/Dockerfile: no such file or directory"},
	}
	for _, tt := range tests {
		if got := readError("x/Dockerfile", tt.err).Error(); got != tt.want {
			t.Errorf("readError(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestReadCapped covers what Stat cannot see coming: input that turns out
// longer than its size said, as when a file grows while it is read.
func TestReadCapped(t *testing.T) {
	tests := []struct {
		input    string
		hint     int64
		limit    int64
		wantLen  int
		wantCaps int // the buffer must never be larger than limit+1
	}{
		{input: "short", hint: 5, limit: 10, wantLen: 5},
		{input: strings.Repeat("x", 5000), hint: 0, limit: 10000, wantLen: 5000},
		{input: strings.Repeat("x", 5000), hint: 0, limit: 1000, wantLen: 1001},
		{input: strings.Repeat("x", 5000), hint: 10, limit: 4999, wantLen: 5000},
		{input: strings.Repeat("x", 1001), hint: 1000, limit: 1000, wantLen: 1001},
	}
	for _, tt := range tests {
		got, err := readCapped(strings.NewReader(tt.input), tt.hint, tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tt.wantLen || int64(cap(got)) > tt.limit+1 {
			t.Errorf("readCapped(%d bytes, hint %d, limit %d): len %d cap %d, want len %d cap <= %d",
				len(tt.input), tt.hint, tt.limit, len(got), cap(got), tt.wantLen, tt.limit+1)
		}
	}
}

func TestHumanSize(t *testing.T) {
	for n, want := range map[int64]string{
		0:         "0 B",
		1023:      "1023 B",
		1024:      "1 KB",
		1536:      "1.5 KB",
		8 << 20:   "8 MB",
		100 << 20: "100 MB",
		3 << 30:   "3 GB",
	} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestReadIf(t *testing.T) {
	dir := t.TempDir()
	script := filepath.Join(dir, "deploy")
	writeFile(t, script, "#!/bin/sh\ndocker run alpine\n")
	other := filepath.Join(dir, "LICENSE")
	writeFile(t, other, "MIT License\n")
	bin := filepath.Join(dir, "tool")
	writeFile(t, bin, "#!/bin/sh\n\x00\x01binary")
	isScript := func(h []byte) bool { return strings.HasPrefix(string(h), "#!") }

	data, ok, err := ReadIf(script, 0, 4, isScript)
	if err != nil || !ok || string(data) != "#!/bin/sh\ndocker run alpine\n" {
		t.Errorf("script: %q %v %v", data, ok, err)
	}
	if data, ok, err := ReadIf(other, 0, 4, isScript); err != nil || ok || data != nil {
		t.Errorf("other: %q %v %v", data, ok, err)
	}
	if _, ok, err := ReadIf(bin, 0, 4, isScript); !ok || err == nil || !strings.Contains(err.Error(), "binary") {
		t.Errorf("binary: %v %v", ok, err)
	}
	if _, ok, err := ReadIf(script, 8, 4, isScript); !ok || err == nil || !strings.Contains(err.Error(), "limit") {
		t.Errorf("limit: %v %v", ok, err)
	}
	short := filepath.Join(dir, "x")
	writeFile(t, short, "#!")
	if data, ok, err := ReadIf(short, 0, 512, isScript); err != nil || !ok || string(data) != "#!" {
		t.Errorf("short: %q %v %v", data, ok, err)
	}
}
